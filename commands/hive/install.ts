import { Command, Option } from "clipanion";
import { HostCommand } from "./host-command.ts";

export class HiveInstallCommand extends HostCommand {
  static paths = [["hive", "install"]];
  static usage = Command.Usage({
    category: "Hives",
    description: "install rbee on a machine over SSH, or on this one (5-minute limit, every step narrated)",
    details: `
      Resolves the host (hives.conf, then ~/.ssh/config: HostName, User, Port, IdentityFile; the agent
      via SSH_AUTH_SOCK), checks its host key against ~/.ssh/known_hosts, reads its \`uname -sm\`
      and picks the build for it (Linux x86_64, Linux aarch64, Darwin arm64): this binary when the
      machine is like this one, else rbee-<platform> beside it or in dist/ (\`bun run build:all\`),
      or --binary. It uploads it over SFTP (progress bar), verifies its sha256 there, installs it as
      ~/.local/bin/rbee, runs \`rbee --version\` there and provisions the hive's API token (0600).

      An unknown host key is refused with its fingerprint: check it, then pass --accept-new-host-key.
      A changed host key is always refused.

      \`--host localhost\` is this machine and user, without SSH: the same steps, with a local copy
      into ~/.local/bin/rbee. Only HivePort is read from hives.conf for it.
    `,
    examples: [
      ["Install on gpu1", "$0 hive install --host gpu1"],
      ["First contact: accept the host key", "$0 hive install --host gpu1 --accept-new-host-key"],
      ["Upload again even if identical", "$0 hive install --host gpu1 --force"],
      ["Install on this machine, no SSH", "$0 hive install --host localhost --binary dist/rbee"],
      ["Install on a Mac from a Linux box", "bun run build:all && $0 hive install --host mini"],
    ],
  });

  binary = Option.String("--binary", { description: "the rbee binary to upload (default: the build for the machine's uname -sm)" });
  force = Option.Boolean("--force", false, { description: "upload even when the same binary is installed" });
  acceptNewHostKey = Option.Boolean("--accept-new-host-key", false, { description: "trust an unknown host key and add it to known_hosts" });

  async run(): Promise<number> {
    // Loaded on use: ssh2 and the flows stay out of every other command's start-up.
    const { installHive } = await import("../../src/ssh/remote-hive.ts");
    return this.local(
      (signal) => installHive(this.host, { binaryPath: this.binary, force: this.force, acceptNewHostKey: this.acceptNewHostKey, signal }),
      (r) => `rbee ${r.version} installed on ${r.alias} at ${r.path}${r.uploaded ? "" : " (already up to date)"}`,
    );
  }
}
