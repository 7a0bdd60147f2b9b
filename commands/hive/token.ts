import { Command, Option, UsageError } from "clipanion";
import { randomBytes } from "node:crypto";
import { fingerprint } from "../../src/security/api-token.ts";
import { readLocalHiveToken, writeLocalHiveToken } from "../../src/ssh/hive-token.ts";
import { RbeeCommand } from "../rbee-command.ts";

export class HiveTokenCommand extends RbeeCommand {
  static paths = [["hive", "token"]];
  static usage = Command.Usage({
    category: "Hives",
    description: "bind an API token to a hive you start by hand, and print it",
    details: `
      Run this on the queen's machine. The token is bound to HIVE-ID: the hive that holds it may
      send heartbeats for HIVE-ID only, and the queen calls that hive with it (never with its own
      token). \`rbee hive install\` does this for you; use this command for a hive started with
      \`rbee serve --role hive\`. Prints the existing token unless --rotate makes a new one.
    `,
    examples: [
      ["Bind a token to gpu1 and start the hive with it", "RBEE_API_TOKEN=$($0 hive token gpu1) rbee serve --role hive --hive-id gpu1 --queen-url http://queen:7833"],
      ["Replace gpu1's token", "$0 hive token gpu1 --rotate"],
    ],
  });

  rotate = Option.Boolean("--rotate", false, { description: "make a new token even if one is bound (the hive must restart with it)" });
  id = Option.String({ name: "hive-id" });

  async run(): Promise<number> {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(this.id)) throw new UsageError("HIVE-ID: letters, digits, '.', '_' and '-' only");
    if (this.id === "localhost") throw new UsageError("localhost is the queen's embedded hive; give a remote hive another id");
    let token = this.rotate ? undefined : readLocalHiveToken(this.id);
    if (!token) {
      token = randomBytes(32).toString("hex");
      writeLocalHiveToken(this.id, token);
      this.context.stderr.write(`bound a new token to hive ${this.id} (${fingerprint(token)})\n`);
    }
    this.context.stdout.write(`${token}\n`);
    return 0;
  }
}
