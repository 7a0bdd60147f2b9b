import { Command, Option } from "clipanion";
import { followJob } from "../../src/keeper/follow-job.ts";
import { QueenCommand } from "../queen-command.ts";

export class JobsLogsCommand extends QueenCommand {
  static paths = [["jobs", "logs"]];
  static usage = Command.Usage({
    category: "Jobs",
    description: "replay a job's story and follow it live until it ends",
    details: "Prints everything the job narrated so far, then follows it. Ctrl-C cancels the job.",
    examples: [["Follow a job", "$0 jobs logs job-1234"], ["As NDJSON", "$0 jobs logs job-1234 --json"]],
  });

  id = Option.String({ name: "job-id" });

  async run(): Promise<number> {
    const queen = await this.runningQueen();
    // As `rbee infer` shows it: the tokens are the answer, the result (counts, timings) stays in --json.
    const { operation } = await queen.get(this.id);
    return followJob(queen, this.id, this.printer(operation === "infer" ? () => "" : undefined));
  }
}
