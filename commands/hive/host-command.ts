import { Option, UsageError } from "clipanion";
import { runLocally } from "../../src/keeper/run-local.ts";
import { QueenCommand } from "../queen-command.ts";

/**
 * A hive lifecycle command: `--host ALIAS` (from rbee's hives.conf or ~/.ssh/config).
 * It runs here, over SSH, narrating each step to the terminal.
 */
export abstract class HostCommand extends QueenCommand {
  host = Option.String("--host", { required: true, description: "the machine: an alias from hives.conf or ~/.ssh/config" });

  async local<T>(fn: (signal: AbortSignal) => Promise<T>, format: (result: T) => string): Promise<number> {
    if (this.host === "localhost") {
      throw new UsageError("the local hive is part of the queen: use `rbee queen start|stop|status` for localhost");
    }
    const { code, result } = await runLocally(fn, { stdout: this.context.stdout, stderr: this.context.stderr as never, json: this.json });
    if (code === 0 && !this.json && result !== undefined) this.print(format(result));
    return code;
  }
}
