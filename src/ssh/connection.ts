import { Client, type ClientChannel, type SFTPWrapper } from "ssh2";
import { narrate } from "../narration/narrate.ts";
import { RbeeError } from "../protocol/errors.ts";
import { authMethods } from "./auth-methods.ts";
import { requestOverSsh, type TunnelRequest, type TunnelResponse } from "./http-over-ssh.ts";
import { defaultKnownHostsFiles, knownKeyTypes, type KnownHostsFiles } from "./known-hosts.ts";
import type { ResolvedHost } from "./resolve-host.ts";
import { abortError, connectError } from "./ssh-errors.ts";
import { verifyHostKey } from "./verify-host-key.ts";

export interface ConnectOptions {
  acceptNewHostKey?: boolean;
  signal?: AbortSignal;
  /** Limit for TCP connect + SSH handshake + login (default 20 s). */
  readyTimeoutMs?: number;
  /** SSH keepalive period; 3 unanswered keepalives drop the connection (default 10 s). */
  keepaliveIntervalMs?: number;
  knownHosts?: KnownHostsFiles;
  /** The local home folder for known_hosts (defaults to $HOME). */
  home?: string;
}

export interface OpOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface ExecOptions extends OpOptions {
  /** Written to the command's stdin, then stdin is closed (keeps secrets off command lines). */
  stdin?: string | Buffer;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  code: number | null;
  signal?: string;
}

export interface UploadOptions extends OpOptions {
  onProgress?: (transferred: number, total: number) => void;
  mode?: number;
}

/**
 * What the hive flows use of a machine: sh commands, a file upload, and small HTTP requests
 * to its loopback. SshConnection reaches another machine; LocalConnection is this one.
 */
export interface HiveConnection {
  readonly host: ResolvedHost;
  readonly isClosed: boolean;
  exec(command: string, opts?: ExecOptions): Promise<ExecResult>;
  run(what: string, command: string, opts?: ExecOptions): Promise<ExecResult>;
  /** A relative destination is under that machine's home folder. */
  upload(localPath: string, remotePath: string, opts?: UploadOptions): Promise<void>;
  /** One HTTP request to 127.0.0.1:port as seen from that machine (the hive binds loopback). */
  request(port: number, req: TunnelRequest): Promise<TunnelResponse>;
  close(): void;
}

/** `run`'s check, shared by both connections: a non-zero exit is an error naming the step. */
export function expectSuccess(result: ExecResult, what: string, alias: string): ExecResult {
  if (result.code !== 0) {
    const detail = result.stderr.trim().split("\n").slice(-3).join(" / ") || `exit ${result.code ?? result.signal}`;
    throw new RbeeError("REMOTE_COMMAND_FAILED", `${what} failed on ${alias}: ${detail}`, undefined, 502);
  }
  return result;
}

const DEFAULT_READY_TIMEOUT_MS = 20_000;
export const DEFAULT_EXEC_TIMEOUT_MS = 60_000;
const RSA_ALGOS = ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"];

/** Opens an SSH connection, checking the host key against known_hosts first. */
export async function connectSsh(host: ResolvedHost, opts: ConnectOptions = {}): Promise<SshConnection> {
  const readyTimeoutMs = opts.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  const knownHosts = opts.knownHosts ?? defaultKnownHostsFiles(opts.home);
  const what = `SSH connection to ${host.alias}`;
  if (opts.signal?.aborted) throw abortError(opts.signal, what);
  const auth = authMethods(host);
  // Prefer key types already in known_hosts, as OpenSSH does, so a host with several keys
  // presents the one we can check instead of an "unknown" one.
  const preferred = knownKeyTypes(host.hostname, host.port, knownHosts).flatMap((t) => (t === "ssh-rsa" ? RSA_ALGOS : [t]));
  narrate("ssh_connect", `connecting to ${host.alias} (${host.user}@${host.hostname}:${host.port})`, { host: host.alias });

  const client = new Client();
  let hostKeyError: unknown;
  return new Promise<SshConnection>((resolve, reject) => {
    let settled = false;
    const finish = (err?: unknown) => {
      if (settled) return;
      settled = true;
      opts.signal?.removeEventListener("abort", onAbort);
      if (err === undefined) return resolve(new SshConnection(client, host));
      client.destroy();
      reject(err);
    };
    const onAbort = () => finish(abortError(opts.signal, what));
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    client.once("ready", () => {
      narrate("ssh_connected", `connected to ${host.alias}`, { host: host.alias });
      finish();
    });
    client.on("error", (err: Error & { level?: string }) => {
      // ssh2 reports a dead agent or a key that cannot sign, then goes on to the next key.
      if (err.level === "agent" || err.message.startsWith("Error while signing")) {
        narrate("ssh_auth_skip", `skipping a login method for ${host.alias}: ${err.message}`, { level: "warn" });
        return;
      }
      finish(hostKeyError ?? connectError(err, host, readyTimeoutMs));
    });
    client.once("close", () => finish(hostKeyError ?? new RbeeError("SSH_DISCONNECTED", `${host.alias} closed the connection during login`, undefined, 502)));
    client.connect({
      host: host.hostname,
      port: host.port,
      username: host.user,
      readyTimeout: readyTimeoutMs,
      keepaliveInterval: opts.keepaliveIntervalMs ?? 10_000,
      keepaliveCountMax: 3,
      authHandler: auth,
      ...(preferred.length ? { algorithms: { serverHostKey: { prepend: preferred } as never } } : {}),
      hostVerifier: (key: Buffer) => {
        try {
          verifyHostKey(host, key, { acceptNewHostKey: opts.acceptNewHostKey, knownHosts });
          return true;
        } catch (err) {
          hostKeyError = err;
          return false;
        }
      },
    });
  });
}

/** One open SSH connection: remote commands, SFTP uploads, TCP forwards. */
export class SshConnection implements HiveConnection {
  private closed = false;
  private readonly onClose = new Set<() => void>();
  private sftpSession?: Promise<SFTPWrapper>;

  constructor(
    private readonly client: Client,
    readonly host: ResolvedHost,
  ) {
    client.on("close", () => {
      this.closed = true;
      for (const fn of [...this.onClose]) fn();
    });
    client.on("error", () => {}); // reported through the pending operation's 'close'
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Runs one command; resolves with its output and exit code (non-zero is not an error here). */
  exec(command: string, opts: ExecOptions = {}): Promise<ExecResult> {
    let channel: ClientChannel | undefined;
    return this.track<ExecResult>("remote command", { timeoutMs: DEFAULT_EXEC_TIMEOUT_MS, ...opts }, () => channel?.close(), (resolve, reject) => {
      this.client.exec(command, (err, stream) => {
        if (err) return reject(new RbeeError("SSH_ERROR", `cannot run a command on ${this.host.alias}: ${err.message}`, undefined, 502));
        channel = stream;
        const out: Buffer[] = [];
        const errOut: Buffer[] = [];
        let code: number | null = null;
        let sig: string | undefined;
        stream.on("data", (d: Buffer) => out.push(d));
        stream.stderr.on("data", (d: Buffer) => errOut.push(d));
        stream.on("exit", (c: number | null, s?: string) => {
          code = c;
          sig = s ?? undefined;
        });
        stream.on("close", () =>
          resolve({ stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(errOut).toString("utf8"), code, ...(sig ? { signal: sig } : {}) }),
        );
        stream.end(opts.stdin ?? undefined);
      });
    });
  }

  /** Like exec, but a non-zero exit is an error naming the step. */
  async run(what: string, command: string, opts: ExecOptions = {}): Promise<ExecResult> {
    return expectSuccess(await this.exec(command, opts), what, this.host.alias);
  }

  /** Uploads a file over SFTP (parallel writes). A relative remote path is under the remote home. */
  upload(localPath: string, remotePath: string, opts: UploadOptions = {}): Promise<void> {
    return this.track<void>("upload", { timeoutMs: 0, ...opts }, () => {}, (resolve, reject) => {
      this.sftp().then((sftp) => {
        sftp.fastPut(
          localPath,
          remotePath,
          {
            concurrency: 64,
            chunkSize: 32 * 1024,
            ...(opts.mode !== undefined ? { mode: opts.mode } : {}),
            step: (transferred, _chunk, total) => opts.onProgress?.(transferred, total),
          },
          (err) => (err ? reject(new RbeeError("UPLOAD_FAILED", `upload to ${this.host.alias}:${remotePath} failed: ${err.message}`, undefined, 502)) : resolve()),
        );
      }, reject);
    });
  }

  /** Opens a direct-tcpip channel to host:port as seen from the remote machine. */
  forwardOut(host: string, port: number, opts: OpOptions = {}): Promise<ClientChannel> {
    return this.track<ClientChannel>("port forward", { timeoutMs: 10_000, ...opts }, () => {}, (resolve, reject) => {
      this.client.forwardOut("127.0.0.1", 0, host, port, (err, channel) => {
        if (err) return reject(new RbeeError("FORWARD_FAILED", `cannot reach ${host}:${port} from ${this.host.alias}: ${err.message}`, undefined, 502));
        resolve(channel);
      });
    });
  }

  /** One small HTTP request to the remote loopback through a forwarded channel. */
  request(port: number, req: TunnelRequest): Promise<TunnelResponse> {
    return requestOverSsh(this, port, req);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.client.destroy();
    for (const fn of [...this.onClose]) fn();
  }

  private sftp(): Promise<SFTPWrapper> {
    this.sftpSession ??= new Promise((resolve, reject) =>
      this.client.sftp((err, sftp) =>
        err ? reject(new RbeeError("SFTP_UNAVAILABLE", `SFTP is not available on ${this.host.alias}: ${err.message}`, "Enable the sftp Subsystem in sshd_config there.", 502)) : resolve(sftp),
      ),
    );
    return this.sftpSession;
  }

  /**
   * Runs one operation so that it always ends: with its result, a timeout (then `cancel`
   * runs), the abort signal (then the whole connection closes), or the connection dropping.
   */
  private track<T>(
    what: string,
    opts: OpOptions,
    cancel: () => void,
    start: (resolve: (v: T) => void, reject: (e: unknown) => void) => void,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const label = `${what} on ${this.host.alias}`;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const done = () => {
        clearTimeout(timer);
        opts.signal?.removeEventListener("abort", onAbort);
        this.onClose.delete(onClosed);
      };
      const ok = (v: T) => (done(), resolve(v));
      const fail = (e: unknown) => (done(), reject(e));
      const onAbort = () => {
        fail(abortError(opts.signal, label));
        this.close();
      };
      const onClosed = () => fail(new RbeeError("SSH_DISCONNECTED", `connection to ${this.host.alias} closed during ${what}`, undefined, 502));
      if (this.closed) return onClosed();
      if (opts.signal?.aborted) return onAbort();
      opts.signal?.addEventListener("abort", onAbort, { once: true });
      this.onClose.add(onClosed);
      if (opts.timeoutMs) {
        timer = setTimeout(() => {
          fail(new RbeeError("SSH_TIMEOUT", `${label} timed out after ${opts.timeoutMs! / 1000} s`, undefined, 504));
          cancel();
        }, opts.timeoutMs);
      }
      start(ok, fail);
    });
  }
}
