import { Command, Option } from "clipanion";
import { QueenCommand } from "../queen-command.ts";

export class JobsCancelCommand extends QueenCommand {
  static paths = [["jobs", "cancel"]];
  static usage = Command.Usage({
    category: "Jobs",
    description: "cancel a running job (its stream ends with [CANCELLED])",
    examples: [["Cancel a job", "$0 jobs cancel job-1234"]],
  });

  id = Option.String({ name: "job-id" });

  async run(): Promise<number> {
    const res = await (await this.runningQueen()).cancel(this.id);
    if (this.json) this.print(JSON.stringify({ job_id: this.id, ...res }));
    else this.print(res.cancelled ? `cancelled ${this.id}` : `${this.id} had already ended (${res.state})`);
    return 0;
  }
}
