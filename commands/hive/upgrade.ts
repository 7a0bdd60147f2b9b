import { Command, Option } from "clipanion";
import { HostCommand } from "./host-command.ts";

export class HiveUpgradeCommand extends HostCommand {
  static paths = [["hive", "upgrade"]];
  static usage = Command.Usage({
    category: "Hives",
    description: "upload a new binary and restart the hive if it was running",
    examples: [["Upgrade gpu1 to this rbee", "$0 hive upgrade --host gpu1"]],
  });

  binary = Option.String("--binary", { description: "the rbee binary to upload (default: the build for the machine's uname -sm)" });

  async run(): Promise<number> {
    // Loaded on use: ssh2 and the flows stay out of every other command's start-up.
    const { upgradeHive } = await import("../../src/ssh/remote-hive.ts");
    const url = process.env.RBEE_PUBLIC_URL || this.url;
    return this.local(
      (signal) => upgradeHive(this.host, { binaryPath: this.binary, queenUrl: url, signal }),
      (r) => `upgraded ${this.host} to ${r.install.version}${r.restarted ? " and restarted it" : ""}`,
    );
  }
}
