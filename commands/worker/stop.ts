import { Command, Option } from "clipanion";
import { JobCommand } from "../job-command.ts";
import { hiveOption } from "../hive-option.ts";

export class WorkerStopCommand extends JobCommand {
  static paths = [["worker", "stop"]];
  static usage = Command.Usage({
    category: "Workers",
    description: "stop a worker (SIGTERM, then SIGKILL after 5 s)",
    examples: [["Stop a worker", "$0 worker stop wrk-1a2b3c"]],
  });

  hive = hiveOption();
  id = Option.String({ name: "worker-id" });

  async run(): Promise<number> {
    return this.follow({ operation: "worker_stop", hive_id: this.hive, worker_id: this.id }, () => `stopped ${this.id}`, await this.runningQueen());
  }
}
