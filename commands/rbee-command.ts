import { Command, UsageError } from "clipanion";
import { printError } from "../src/keeper/error-output.ts";

/**
 * Base of every rbee command: `run()` returns the exit code; an RbeeError is printed as
 * `✗ CODE: message` and its hint (exit 1) instead of a stack trace; a UsageError exits 2.
 */
export abstract class RbeeCommand extends Command {
  abstract run(): Promise<number>;

  async execute(): Promise<number> {
    try {
      return await this.run();
    } catch (err) {
      // Misuse exits 2 (clipanion would say 1), with the usage printed.
      if (err instanceof UsageError) {
        this.context.stderr.write(this.cli.error(err, { command: this }));
        return 2;
      }
      if (err instanceof Error && !(err as { clipanion?: unknown }).clipanion) {
        // Once, with its code and hint; as one JSON line on stdout with --json.
        const json = (this as { json?: unknown }).json === true;
        printError({ stdout: this.context.stdout, stderr: this.context.stderr, json }, err);
        return 1;
      }
      throw err;
    }
  }
}
