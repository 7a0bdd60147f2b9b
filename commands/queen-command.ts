import { Option } from "clipanion";
import { DaemonClient } from "../src/keeper/daemon-client.ts";
import { submitAndFollow } from "../src/keeper/follow-job.ts";
import { queenUrl } from "../src/keeper/queen-url.ts";
import { ensureLocalQueen } from "../src/lifecycle/local-queen.ts";
import type { Operation } from "../src/protocol/operations.ts";
import { RbeeCommand } from "./rbee-command.ts";

const isLoopbackUrl = (url: string) => /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/.test(new URL(url).hostname);

const nullStream = { write: () => true, isTTY: false } as never;

/** A keeper command that talks to the queen: `--queen-url` and `--json` for all of them. */
export abstract class QueenCommand extends RbeeCommand {
  queenUrl = Option.String("--queen-url", { description: "the queen to talk to (default: RBEE_QUEEN_URL, else http://127.0.0.1:7833)" });
  json = Option.Boolean("--json", false, { description: "print machine-readable JSON (NDJSON for streams and lists)" });

  client(): DaemonClient {
    return new DaemonClient(queenUrl(this.queenUrl));
  }

  /**
   * Jobs need a queen: when none answers on a loopback URL, start one in the background,
   * say so, and leave it running (`rbee queen stop` stops it). Remote URLs are never started.
   */
  async ensureQueen(): Promise<DaemonClient> {
    const url = queenUrl(this.queenUrl);
    if (process.env.RBEE_NO_AUTOSTART !== "1" && isLoopbackUrl(url)) {
      const handle = await ensureLocalQueen(url);
      if (handle.started_by_us) this.context.stderr.write(`started a queen on ${url} (pid ${handle.pid}); it keeps running — stop it with \`rbee queen stop\`\n`);
    }
    return this.client();
  }

  /** Runs an operation as a job and follows its story to the end; returns the exit code. */
  async follow(op: Operation, formatResult?: (result: unknown) => string): Promise<number> {
    return submitAndFollow(await this.ensureQueen(), op, { stdout: this.context.stdout, stderr: this.context.stderr as never, json: this.json, formatResult });
  }

  /**
   * Runs a read operation and prints its result: as NDJSON records with --json (one per
   * list item), else through `format`. Narration still goes to stderr (not with --json).
   */
  async query(op: Operation, format: (result: unknown) => string): Promise<number> {
    let result: unknown;
    const printer = { stdout: this.context.stdout, stderr: this.context.stderr as never, json: false, formatResult: () => "" };
    const sink = this.json ? { ...printer, stderr: nullStream } : printer;
    const code = await submitAndFollow(await this.ensureQueen(), op, { ...sink, formatResult: (r) => ((result = r), "") });
    if (code !== 0) return code;
    if (this.json) for (const item of Array.isArray(result) ? result : [result]) this.print(JSON.stringify(item));
    else this.print(format(result));
    return 0;
  }

  print(text: string): void {
    this.context.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
  }
}
