import { Command } from "clipanion";
import { HostCommand, refuseEmbeddedHive } from "./host-command.ts";

export class HiveStartCommand extends HostCommand {
  static paths = [["hive", "start"]];
  static usage = Command.Usage({
    category: "Hives",
    description: "start the hive on a machine (systemd --user where it lingers, nohup otherwise)",
    details: `
      The hive registers with the queen (--queen-url, RBEE_QUEEN_URL or RBEE_PUBLIC_URL: an address
      that machine can reach) and sends heartbeats.

      \`--host localhost\` starts a separate hive process on this machine, without SSH, on the
      HivePort of \`Host localhost\` in hives.conf (default 7835). Its hive id is \`localhost\`: the
      name of the hive a queen runs inside its own process (\`rbee serve\`, \`rbee queen start\`),
      and a queen refuses a second hive of that name. So when the queen answers and has its own
      \`localhost\`, this command says so (HIVE_EMBEDDED) and starts nothing: that hive already
      serves this machine. When no queen answers, the hive starts and registers with a queen
      that has no hive of its own.
    `,
    examples: [
      ["Start the hive on gpu1", "$0 hive start --host gpu1 --queen-url http://192.168.1.10:7833"],
      ["Start a separate hive on this machine, no SSH", "$0 hive start --host localhost"],
    ],
  });

  async run(): Promise<number> {
    // Loaded on use: ssh2 and the flows stay out of every other command's start-up.
    const { startHive } = await import("../../src/ssh/remote-hive.ts");
    const url = process.env.RBEE_PUBLIC_URL || this.url;
    return this.local(
      async (signal) => {
        await refuseEmbeddedHive(this.host, url, signal);
        return startHive(this.host, { queenUrl: url, signal });
      },
      (h) => (h.started_by_us ? `hive on ${h.alias} started (pid ${h.pid}), reporting to ${url}` : `hive on ${h.alias} was already running (pid ${h.pid})`),
    );
  }
}
