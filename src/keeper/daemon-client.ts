import { ErrorBody, RbeeError } from "../protocol/errors.ts";
import { CANCELLED, DONE, ERROR_PREFIX, JobEvent } from "../protocol/events.ts";
import { JobCreated, JobInfo } from "../protocol/jobs.ts";
import type { Operation } from "../protocol/operations.ts";
import { readSse } from "./sse-reader.ts";
import { loadApiToken } from "../security/api-token.ts";

/** How a job stream ended. */
export type JobOutcome = { state: "completed" } | { state: "failed"; error: string } | { state: "cancelled" };

export interface StreamOptions {
  signal?: AbortSignal;
  lastEventId?: number;
  onEvent: (event: JobEvent, id: number) => void;
}

/** A client of any rbee daemon's job API (queen or hive). */
export class DaemonClient {
  constructor(
    readonly baseUrl: string,
    private readonly token = loadApiToken(),
  ) {}

  async submit(op: Operation | Record<string, unknown>, signal?: AbortSignal, headers: Record<string, string> = {}): Promise<JobCreated> {
    const res = await this.request("POST", "/v1/jobs", op, signal, headers);
    return JobCreated.parse(await res.json());
  }

  async list(): Promise<JobInfo[]> {
    const res = await this.request("GET", "/v1/jobs");
    return ((await res.json()) as { jobs: unknown[] }).jobs.map((j) => JobInfo.parse(j));
  }

  async get(jobId: string): Promise<JobInfo> {
    return JobInfo.parse(await (await this.request("GET", `/v1/jobs/${encodeURIComponent(jobId)}`)).json());
  }

  async cancel(jobId: string): Promise<{ cancelled: boolean; state: string }> {
    return (await this.request("DELETE", `/v1/jobs/${encodeURIComponent(jobId)}`)).json() as Promise<{ cancelled: boolean; state: string }>;
  }

  /** Follows a job's stream until its terminal marker; events go to `onEvent`. */
  async stream(jobId: string, opts: StreamOptions): Promise<JobOutcome> {
    const headers: Record<string, string> = opts.lastEventId ? { "last-event-id": String(opts.lastEventId) } : {};
    const res = await this.request("GET", `/v1/jobs/${encodeURIComponent(jobId)}/stream`, undefined, opts.signal, headers);
    return this.readJobStream(jobId, res, opts);
  }

  /**
   * Submits and follows in ONE request (`Accept: text/event-stream`): the relay hop a
   * queen makes to a hive saves a round trip before the first token. `onJobId` learns the
   * job's id (for cancel) as soon as the daemon answers.
   */
  async submitAndStream(op: Operation, opts: StreamOptions & { headers?: Record<string, string>; onJobId?: (id: string) => void }): Promise<JobOutcome> {
    const res = await this.request("POST", "/v1/jobs", op, opts.signal, { accept: "text/event-stream", ...opts.headers });
    const jobId = res.headers.get("x-rbee-job-id") ?? "";
    opts.onJobId?.(jobId);
    return this.readJobStream(jobId, res, opts);
  }

  private async readJobStream(jobId: string, res: Response, opts: StreamOptions): Promise<JobOutcome> {
    for await (const msg of readSse(res.body!)) {
      // Tokens are most of the traffic: their shape is fixed, so skip the schema for them.
      if (msg.event === "token") {
        opts.onEvent(JSON.parse(msg.data), Number(msg.id ?? 0));
        continue;
      }
      if (msg.data === DONE) return { state: "completed" };
      if (msg.data === CANCELLED) return { state: "cancelled" };
      if (msg.data.startsWith(ERROR_PREFIX)) return { state: "failed", error: msg.data.slice(ERROR_PREFIX.length).trim() };
      const parsed = JobEvent.safeParse(JSON.parse(msg.data));
      if (parsed.success) opts.onEvent(parsed.data, Number(msg.id ?? 0));
    }
    throw new RbeeError("STREAM_CUT", `the stream of ${jobId} ended without a final marker`, "The daemon may have stopped; check it with `rbee status`.", 502);
  }

  async request(method: string, path: string, body?: unknown, signal?: AbortSignal, extra: Record<string, string> = {}): Promise<Response> {
    const headers: Record<string, string> = { ...extra };
    // A Blob (a file being uploaded) streams as it is; anything else goes as JSON.
    const raw = body instanceof Blob;
    if (body !== undefined) headers["content-type"] = raw ? "application/octet-stream" : "application/json";
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}${path}`, { method, headers, body: body === undefined ? undefined : raw ? body : JSON.stringify(body), signal });
    } catch (err) {
      if (signal?.aborted) throw err;
      throw new RbeeError("UNREACHABLE", `cannot reach ${this.baseUrl}: ${(err as Error).message}`, "Is it running? Start the queen with `rbee queen start` or `rbee serve`.", 502);
    }
    if (!res.ok) throw await errorFromResponse(res);
    return res;
  }
}

async function errorFromResponse(res: Response): Promise<RbeeError> {
  const text = await res.text();
  try {
    const { error } = ErrorBody.parse(JSON.parse(text));
    return new RbeeError(error.code, error.message, error.hint, res.status);
  } catch {
    return new RbeeError("HTTP_ERROR", `HTTP ${res.status}: ${text.slice(0, 200)}`, undefined, res.status);
  }
}
