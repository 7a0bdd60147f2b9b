import { Command } from "clipanion";
import { ensureLocalQueen } from "../../src/lifecycle/local-queen.ts";
import { QueenCommand } from "../queen-command.ts";

export class QueenStartCommand extends QueenCommand {
  static paths = [["queen", "start"]];
  static usage = Command.Usage({
    category: "Queen",
    description: "start the queen in the background (pid and log files under the state folder)",
    details: "Does nothing when a queen already answers. Keeper commands also start one when none answers.",
    examples: [["Start the queen", "$0 queen start"], ["On another port", "$0 queen start --queen-url http://127.0.0.1:9000"]],
  });

  async run(): Promise<number> {
    const handle = await ensureLocalQueen(this.url);
    if (this.json) this.print(JSON.stringify(handle));
    else this.print(handle.started_by_us ? `queen started on ${handle.base_url} (pid ${handle.pid})` : `a queen is already running on ${handle.base_url}`);
    return 0;
  }
}
