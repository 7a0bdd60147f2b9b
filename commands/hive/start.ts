import { Command } from "clipanion";
import { queenUrl } from "../../src/keeper/queen-url.ts";
import { startHive } from "../../src/ssh/remote-hive.ts";
import { HostCommand } from "./host-command.ts";

export class HiveStartCommand extends HostCommand {
  static paths = [["hive", "start"]];
  static usage = Command.Usage({
    category: "Hives",
    description: "start the hive on a machine (systemd --user where it lingers, nohup otherwise)",
    details: "The hive registers with the queen (--queen-url, RBEE_QUEEN_URL or RBEE_PUBLIC_URL: an address that machine can reach) and sends heartbeats.",
    examples: [["Start the hive on gpu1", "$0 hive start --host gpu1 --queen-url http://192.168.1.10:7833"]],
  });

  run(): Promise<number> {
    const url = process.env.RBEE_PUBLIC_URL || queenUrl(this.queenUrl);
    return this.local(
      (signal) => startHive(this.host, { queenUrl: url, signal }),
      (h) => (h.started_by_us ? `hive on ${h.alias} started (pid ${h.pid}), reporting to ${url}` : `hive on ${h.alias} was already running (pid ${h.pid})`),
    );
  }
}
