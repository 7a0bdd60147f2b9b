import { Command } from "clipanion";
import { localQueenStatus } from "../../src/lifecycle/local-queen.ts";
import { formatRecord } from "../../src/keeper/table.ts";
import { QueenCommand } from "../queen-command.ts";

export class QueenStatusCommand extends QueenCommand {
  static paths = [["queen", "status"]];
  static usage = Command.Usage({
    category: "Queen",
    description: "is the queen running? (pid, version, uptime, log file); exit 1 when not",
    examples: [["Check the queen", "$0 queen status"]],
  });

  async run(): Promise<number> {
    const status = await localQueenStatus(this.url);
    this.print(this.json ? JSON.stringify(status) : formatRecord(status));
    return status.running ? 0 : 1;
  }
}
