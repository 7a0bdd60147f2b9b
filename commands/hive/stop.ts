import { Command } from "clipanion";
import { HostCommand } from "./host-command.ts";

export class HiveStopCommand extends HostCommand {
  static paths = [["hive", "stop"]];
  static usage = Command.Usage({
    category: "Hives",
    description: "stop the hive on a machine (shutdown request, then its recorded pid); its workers stop too",
    examples: [["Stop the hive on gpu1", "$0 hive stop --host gpu1"]],
  });

  async run(): Promise<number> {
    // Loaded on use: ssh2 and the flows stay out of every other command's start-up.
    const { stopHive } = await import("../../src/ssh/remote-hive.ts");
    return this.local(
      (signal) => stopHive(this.host, { signal }),
      (r) => (r.was_running ? `hive on ${r.alias} stopped (${r.stopped_by})` : `hive on ${r.alias} was not running`),
    );
  }
}
