import { Command } from "clipanion";
import { formatRecord } from "../../src/keeper/table.ts";
import { HostCommand } from "./host-command.ts";

export class HiveStatusCommand extends HostCommand {
  static paths = [["hive", "status"]];
  static usage = Command.Usage({
    category: "Hives",
    description: "is rbee installed and the hive running on a machine? (version, URL, pid, uptime)",
    details: "`--host localhost` checks a separate hive process on this machine, not the one inside the queen (`rbee queen status` shows that one).",
    examples: [["Check gpu1", "$0 hive status --host gpu1"], ["Check a separate hive on this machine", "$0 hive status --host localhost"]],
  });

  async run(): Promise<number> {
    // Loaded on use: ssh2 and the flows stay out of every other command's start-up.
    const { hiveStatus } = await import("../../src/ssh/remote-hive.ts");
    return this.local((signal) => hiveStatus(this.host, { signal }), (s) => formatRecord(s as unknown as Record<string, unknown>));
  }
}
