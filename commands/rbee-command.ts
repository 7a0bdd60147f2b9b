import { Command, UsageError } from "clipanion";
import { RbeeError } from "../src/protocol/errors.ts";

/**
 * Base of every rbee command: `run()` returns the exit code; an RbeeError is printed as
 * code, message and hint (exit 1) instead of a stack trace; a UsageError exits 2.
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
      if (err instanceof RbeeError || (err instanceof Error && !(err as { clipanion?: unknown }).clipanion)) {
        printError(this.context.stderr, RbeeError.from(err));
        return 1;
      }
      throw err;
    }
  }
}

export function printError(out: NodeJS.WritableStream, err: RbeeError): void {
  out.write(`error ${err.code}: ${err.message}\n`);
  if (err.hint) out.write(`  hint: ${err.hint}\n`);
}
