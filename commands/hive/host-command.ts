import { Option } from "clipanion";
import { DaemonClient } from "../../src/keeper/daemon-client.ts";
import { runLocally } from "../../src/keeper/run-local.ts";
import { RbeeError } from "../../src/protocol/errors.ts";
import { QueenCommand } from "../queen-command.ts";

/**
 * A hive lifecycle command: `--host ALIAS` (from rbee's hives.conf or ~/.ssh/config), or
 * `localhost` for this machine. It runs here, over SSH or locally, narrating each step to
 * the terminal.
 */
export abstract class HostCommand extends QueenCommand {
  host = Option.String("--host", {
    required: true,
    description: "the machine: an alias from hives.conf or ~/.ssh/config, or localhost (this machine, no SSH)",
  });

  async local<T>(fn: (signal: AbortSignal) => Promise<T>, format: (result: T) => string): Promise<number> {
    const { code, result } = await runLocally(fn, { stdout: this.context.stdout, stderr: this.context.stderr as never, json: this.json });
    if (code === 0 && !this.json && result !== undefined) this.print(format(result));
    return code;
  }
}

/**
 * A queen refuses heartbeats from a hive named like its embedded one (HIVE_ID_TAKEN), and
 * plain `rbee serve` embeds `localhost`: starting that hive again would only run a duplicate
 * the queen turns away. A queen that does not answer cannot tell, and the start goes on.
 */
export async function refuseEmbeddedHive(alias: string, queenUrl: string, signal: AbortSignal): Promise<void> {
  let info: { embedded_hive?: unknown };
  try {
    const res = await new DaemonClient(queenUrl).request("GET", "/v1/info", undefined, AbortSignal.any([signal, AbortSignal.timeout(2_000)]));
    info = (await res.json()) as typeof info;
  } catch (err) {
    if (signal.aborted) throw err;
    return;
  }
  if (info.embedded_hive === alias) {
    throw new RbeeError(
      "HIVE_EMBEDDED",
      `the queen at ${queenUrl} already runs the hive ${alias} inside its own process`,
      "Nothing to start: that hive runs while the queen does (`rbee queen status`, `rbee hive list`).",
      409,
    );
  }
}
