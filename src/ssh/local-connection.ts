import { spawn, type ChildProcess } from "node:child_process";
import { createReadStream, createWriteStream } from "node:fs";
import { chmod, stat } from "node:fs/promises";
import { isAbsolute, join } from "node:path";
import { pipeline } from "node:stream/promises";
import { RbeeError } from "../protocol/errors.ts";
import { DEFAULT_EXEC_TIMEOUT_MS, expectSuccess, type ExecOptions, type ExecResult, type HiveConnection, type UploadOptions } from "./connection.ts";
import type { TunnelRequest, TunnelResponse } from "./http-over-ssh.ts";
import type { ResolvedHost } from "./resolve-host.ts";
import { abortError } from "./ssh-errors.ts";

/**
 * `localhost` without SSH: the surface the hive flows use, on this machine. Commands run under
 * /bin/sh in the home folder and, as sshd runs them, in a session of their own: no terminal,
 * so a Ctrl-C here never reaches a hive they start. An upload is a file copy; HTTP goes
 * straight to 127.0.0.1.
 */
export class LocalConnection implements HiveConnection {
  private closed = false;
  private readonly running = new Set<ChildProcess>();

  constructor(
    readonly host: ResolvedHost,
    private readonly home: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  get isClosed(): boolean {
    return this.closed;
  }

  /** Runs `sh -c command`; resolves with its output and exit code (non-zero is not an error here). */
  exec(command: string, opts: ExecOptions = {}): Promise<ExecResult> {
    const what = `command on ${this.host.alias}`;
    return new Promise<ExecResult>((resolve, reject) => {
      if (this.closed) return reject(this.closedError(what));
      if (opts.signal?.aborted) return reject(abortError(opts.signal, what));
      const child = spawn("/bin/sh", ["-c", command], { cwd: this.home, env: { ...this.env, HOME: this.home }, detached: true, stdio: "pipe" });
      this.running.add(child);
      const out: Buffer[] = [];
      const errOut: Buffer[] = [];
      let settled = false;
      const settle = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        opts.signal?.removeEventListener("abort", onAbort);
        fn();
      };
      const onAbort = () => {
        settle(() => reject(abortError(opts.signal, what)));
        this.close();
      };
      const timeoutMs = opts.timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS;
      const timer = timeoutMs
        ? setTimeout(() => {
            settle(() => reject(new RbeeError("COMMAND_TIMEOUT", `${what} timed out after ${timeoutMs / 1000} s`, undefined, 504)));
            this.kill(child);
          }, timeoutMs)
        : undefined;
      opts.signal?.addEventListener("abort", onAbort, { once: true });
      child.stdout!.on("data", (d: Buffer) => out.push(d));
      child.stderr!.on("data", (d: Buffer) => errOut.push(d));
      child.once("error", (err) => {
        this.running.delete(child);
        settle(() => reject(new RbeeError("LOCAL_COMMAND_FAILED", `cannot run /bin/sh: ${err.message}`, undefined, 500)));
      });
      child.once("close", (code, signal) => {
        this.running.delete(child);
        const result = { stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(errOut).toString("utf8"), code, ...(signal ? { signal } : {}) };
        settle(() => resolve(result));
      });
      child.stdin!.on("error", () => {}); // a command that exits without reading its stdin
      child.stdin!.end(opts.stdin ?? undefined);
    });
  }

  async run(what: string, command: string, opts: ExecOptions = {}): Promise<ExecResult> {
    return expectSuccess(await this.exec(command, opts), what, this.host.alias);
  }

  /** Copies a file, with the same progress callbacks and mode as an SFTP upload. */
  async upload(localPath: string, remotePath: string, opts: UploadOptions = {}): Promise<void> {
    const target = isAbsolute(remotePath) ? remotePath : join(this.home, remotePath);
    const what = `copy to ${target}`;
    if (this.closed) throw this.closedError(what);
    const signals = [opts.signal, opts.timeoutMs ? AbortSignal.timeout(opts.timeoutMs) : undefined].filter((s) => s !== undefined);
    const total = (await stat(localPath)).size;
    let transferred = 0;
    try {
      await pipeline(
        createReadStream(localPath, { highWaterMark: 1 << 20 }),
        async function* (chunks: AsyncIterable<Buffer>) {
          for await (const chunk of chunks) {
            transferred += chunk.length;
            opts.onProgress?.(transferred, total);
            yield chunk;
          }
        },
        createWriteStream(target, { mode: opts.mode ?? 0o644 }),
        ...(signals.length ? [{ signal: AbortSignal.any(signals) }] : []),
      );
      if (opts.mode !== undefined) await chmod(target, opts.mode); // the umask may have narrowed it
    } catch (err) {
      if (opts.signal?.aborted) {
        this.close();
        throw abortError(opts.signal, what);
      }
      throw new RbeeError("UPLOAD_FAILED", `${what} failed: ${(err as Error).message}`, undefined, 500);
    }
  }

  /** A direct loopback fetch: nothing to tunnel on this machine. */
  async request(port: number, req: TunnelRequest): Promise<TunnelResponse> {
    const timeoutMs = req.timeoutMs ?? 5_000;
    const where = `${req.method} ${req.path} on 127.0.0.1:${port}`;
    if (this.closed) throw this.closedError(where);
    const timeout = AbortSignal.timeout(timeoutMs);
    const headers: Record<string, string> = { accept: "application/json", ...(req.token ? { authorization: `Bearer ${req.token}` } : {}) };
    if (req.method === "POST") headers["content-type"] = "application/json";
    try {
      const res = await fetch(`http://127.0.0.1:${port}${req.path}`, {
        method: req.method,
        headers,
        body: req.body === undefined ? undefined : JSON.stringify(req.body),
        signal: req.signal ? AbortSignal.any([req.signal, timeout]) : timeout,
      });
      return { status: res.status, body: await res.text() };
    } catch (err) {
      if (req.signal?.aborted) throw req.signal.reason ?? new RbeeError("CANCELLED", "request cancelled", undefined, 499);
      if (timeout.aborted) throw new RbeeError("HIVE_TIMEOUT", `${where} timed out after ${timeoutMs / 1000} s`, undefined, 504);
      throw new RbeeError("HIVE_UNREACHABLE", `${where} failed: ${(err as Error).message}`, undefined, 502);
    }
  }

  /** Ends the session: commands still running are killed with everything they started. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const child of this.running) this.kill(child);
  }

  /** Kills the command's process group; only while it runs (a hive it started keeps that group). */
  private kill(child: ChildProcess): void {
    if (!this.running.delete(child) || child.pid === undefined) return;
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }

  private closedError(what: string): RbeeError {
    return new RbeeError("SESSION_CLOSED", `the session on ${this.host.alias} closed before ${what}`, undefined, 502);
  }
}
