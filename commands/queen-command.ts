import { Option } from "clipanion";
import { DaemonClient } from "../src/keeper/daemon-client.ts";
import { printError } from "../src/keeper/error-output.ts";
import { followJob, streamJob } from "../src/keeper/follow-job.ts";
import { isHealthy } from "../src/lifecycle/health.ts";
import type { Operation } from "../src/protocol/operations.ts";
import { RbeeError } from "../src/protocol/errors.ts";
import { autostartQueen, queenUrlFlag, resolveQueenUrl } from "./queen-connection.ts";
import { RbeeCommand } from "./rbee-command.ts";

const nullStream = { write: () => true, isTTY: false } as never;

/** A keeper command that talks to the queen: `--queen-url` and `--json` for all of them. */
export abstract class QueenCommand extends RbeeCommand {
  queenUrl = Option.String("--queen-url", { description: "the queen to talk to (default: RBEE_QUEEN_URL, else http://127.0.0.1:7833)" });
  json = Option.Boolean("--json", false, { description: "print machine-readable JSON (NDJSON for streams and lists; a failure is one {\"error\":{code,message,hint}} line)" });

  get url(): string {
    return resolveQueenUrl(this.queenUrl);
  }

  client(): DaemonClient {
    return new DaemonClient(this.url);
  }

  /**
   * Commands that do work (infer, download, spawn) start a queen when none answers on a
   * loopback URL. Reads never do: they say how to start one.
   */
  async ensureQueen(): Promise<DaemonClient> {
    await autostartQueen(this.url, this.context.stderr);
    return this.client();
  }

  /** The queen for a read: QUEEN_NOT_RUNNING (with how to start one) when none answers. */
  async runningQueen(): Promise<DaemonClient> {
    const url = this.url;
    if (!(await isHealthy(url, 2_000))) {
      throw new RbeeError(
        "QUEEN_NOT_RUNNING",
        `no queen answers on ${url}`,
        `Start one with \`rbee queen start${queenUrlFlag(url)}\` (or \`rbee serve\` in the foreground); commands that do work, like \`rbee infer\`, start one themselves.`,
        503,
      );
    }
    return this.client();
  }

  /** Runs an operation as a job and follows its story to the end; returns the exit code. */
  async follow(op: Operation, formatResult?: (result: unknown) => string, client?: DaemonClient): Promise<number> {
    const queen = client ?? (await this.ensureQueen());
    const { job_id } = await queen.submit(op);
    return followJob(queen, job_id, this.printer(formatResult));
  }

  /**
   * Runs a read operation and prints its result: as NDJSON records with --json (one per
   * list item), else through `format`. Narration still goes to stderr (not with --json).
   * A failure prints its error once (as JSON with --json). `complete` may add what only the
   * keeper knows before it is printed.
   */
  async query(op: Operation, format: (result: unknown) => string, complete: (result: unknown) => unknown = (r) => r): Promise<number> {
    let result: unknown;
    const queen = await this.runningQueen();
    const { job_id } = await queen.submit(op);
    const printer = { ...this.printer((r) => ((result = r), "")), json: false, ...(this.json ? { stderr: nullStream } : {}) };
    const followed = await streamJob(queen, job_id, printer);
    if (followed.error) printError(this.printer(), followed.error);
    if (followed.code !== 0) return followed.code;
    result = complete(result);
    if (this.json) for (const item of Array.isArray(result) ? result : [result]) this.print(JSON.stringify(item));
    else this.print(format(result));
    return 0;
  }

  printer(formatResult?: (result: unknown) => string) {
    return { stdout: this.context.stdout, stderr: this.context.stderr as never, json: this.json, formatResult };
  }

  print(text: string): void {
    this.context.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
  }
}
