import { Command, Option } from "clipanion";
import { formatRecord } from "../../src/keeper/table.ts";
import { QueenCommand } from "../queen-command.ts";
import { hiveOption } from "../hive-option.ts";

export class WorkerGetCommand extends QueenCommand {
  static paths = [["worker", "get"]];
  static usage = Command.Usage({
    category: "Workers",
    description: "show one worker: state, pid, port, slots, RSS, uptime, restarts",
    examples: [["Show a worker", "$0 worker get wrk-1a2b3c"]],
  });

  hive = hiveOption();
  id = Option.String({ name: "worker-id" });

  run(): Promise<number> {
    return this.query({ operation: "worker_get", hive_id: this.hive, worker_id: this.id }, (r) => formatRecord(r as Record<string, unknown>));
  }
}
