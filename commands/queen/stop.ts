import { Command } from "clipanion";
import { stopLocalQueen } from "../../src/lifecycle/local-queen.ts";
import { QueenCommand } from "../queen-command.ts";

export class QueenStopCommand extends QueenCommand {
  static paths = [["queen", "stop"]];
  static usage = Command.Usage({
    category: "Queen",
    description: "stop the background queen (shutdown request, then SIGTERM, then SIGKILL by recorded pid)",
    details: "Stopping the queen stops its embedded hive's workers too.",
    examples: [["Stop the queen", "$0 queen stop"]],
  });

  async run(): Promise<number> {
    const res = await stopLocalQueen(this.url);
    if (this.json) this.print(JSON.stringify(res));
    else this.print(res.stopped ? `queen stopped (${res.how})` : `queen ${res.how}`);
    return 0;
  }
}
