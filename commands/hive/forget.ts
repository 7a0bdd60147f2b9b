import { Command, Option } from "clipanion";
import { QueenCommand } from "../queen-command.ts";

export class HiveForgetCommand extends QueenCommand {
  static paths = [["hive", "forget"]];
  static usage = Command.Usage({
    category: "Hives",
    description: "drop a remote hive from the queen, with the URL it was pinned to",
    details: `
      A hive's URL is fixed when it first registers: heartbeats that name another URL are refused
      (HIVE_URL_PINNED), so a hive token cannot send users' requests elsewhere. When a hive really
      moved (new address or port), forget it; its next heartbeat registers it again at the new URL.
    `,
    examples: [["Forget gpu1", "$0 hive forget gpu1"]],
  });

  id = Option.String({ name: "hive-id" });

  run(): Promise<number> {
    return this.follow({ operation: "hive_forget", hive_id: this.id }, () => `forgot ${this.id}`);
  }
}
