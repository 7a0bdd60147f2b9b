import { Command, Option } from "clipanion";
import { QueenCommand } from "../queen-command.ts";

export class JobsGetCommand extends QueenCommand {
  static paths = [["jobs", "get"]];
  static usage = Command.Usage({
    category: "Jobs",
    description: "show one job's state, timestamps and error",
    examples: [["Show a job", "$0 jobs get job-1234"]],
  });

  id = Option.String({ name: "job-id" });

  async run(): Promise<number> {
    const job = await (await this.runningQueen()).get(this.id);
    if (this.json) this.print(JSON.stringify(job));
    else
      this.print(
        Object.entries(job)
          .map(([k, v]) => `${k.padEnd(12)} ${k.endsWith("_at") ? new Date(v as number).toISOString() : v}`)
          .join("\n"),
      );
    return 0;
  }
}
