import { Command, Option } from "clipanion";
import { HostCommand } from "./host-command.ts";

export class HiveUninstallCommand extends HostCommand {
  static paths = [["hive", "uninstall"]];
  static usage = Command.Usage({
    category: "Hives",
    description: "remove rbee from a machine: binary, token, unit, state (refused while running unless --force)",
    examples: [["Uninstall from gpu1", "$0 hive uninstall --host gpu1"], ["Stop it first, then uninstall", "$0 hive uninstall --host gpu1 --force"]],
  });

  force = Option.Boolean("--force", false, { description: "stop a running hive first" });

  async run(): Promise<number> {
    // Loaded on use: ssh2 and the flows stay out of every other command's start-up.
    const { uninstallHive } = await import("../../src/ssh/remote-hive.ts");
    return this.local((signal) => uninstallHive(this.host, { force: this.force, signal }), (r) => `removed from ${r.alias}: ${r.removed.join(", ") || "nothing"}`);
  }
}
