import { RbeeError, ErrorBody } from "../protocol/errors.ts";
import { readSse } from "../keeper/sse-reader.ts";
import { deadlineHeaders } from "../jobs/deadline.ts";
import { stallWatchdog, type StallWatchdog } from "../narration/with-timeout.ts";
import type { Constraints } from "../protocol/constraints.ts";
import type { TokenLogprob } from "../protocol/events.ts";

export interface InferenceBody extends Constraints {
  prompt?: string;
  messages?: { role: string; content: string }[];
  max_tokens?: number;
  temperature?: number;
  top_p?: number;
  top_k?: number;
  min_p?: number;
  seed?: number;
  stop?: string[];
}

export interface InferenceDone {
  tokens: number;
  prompt_tokens?: number;
  /** Prompt tokens the slot still held from its previous request (not evaluated again). */
  cached_tokens?: number;
  ttft_ms: number;
  tokens_per_s: number;
  finish_reason: string;
}

/** The worker a request goes to, and how long it may stay silent before it counts as hung. */
export interface WorkerTarget {
  workerId: string;
  url: string;
  token: string;
  stallMs: number;
}

/**
 * Sends one inference to a worker and relays its tokens as they arrive. Aborting the
 * signal closes the connection, which makes the worker stop and free the slot. A worker
 * that sends no byte for `stallMs` (it pings while it prefills, then sends tokens) fails
 * the request with WORKER_HUNG naming it.
 */
export async function streamFromWorker(target: WorkerTarget, body: InferenceBody, onToken: (text: string, logprobs?: TokenLogprob[]) => void, signal: AbortSignal, deadline?: number): Promise<InferenceDone> {
  const { url, token, workerId, stallMs } = target;
  const watchdog = stallWatchdog(stallMs, () => hungError(workerId, stallMs), signal);
  try {
    return await relay(url, token, body, onToken, watchdog.signal, watchdog, deadline);
  } catch (err) {
    if (watchdog.stalled() && !signal.aborted) throw watchdog.signal.reason;
    throw err;
  } finally {
    watchdog.stop();
  }
}

export const hungError = (workerId: string, stallMs: number) =>
  new RbeeError(
    "WORKER_HUNG",
    `worker ${workerId} sent nothing for ${stallMs / 1000} s: declared hung and killed; its restart policy decides whether it comes back`,
    "Run the request again. For a model this slow, raise the stall timeout (rbee serve --worker-stall-timeout).",
    504,
  );

async function relay(url: string, token: string, body: InferenceBody, onToken: (text: string, logprobs?: TokenLogprob[]) => void, signal: AbortSignal, watchdog: StallWatchdog, deadline?: number): Promise<InferenceDone> {
  let res: Response;
  try {
    const headers = { "content-type": "application/json", authorization: `Bearer ${token}`, ...deadlineHeaders(deadline) };
    res = await fetch(`${url}/v1/inference`, { method: "POST", headers, body: JSON.stringify(body), signal });
  } catch (err) {
    if (signal.aborted) throw signal.reason;
    throw new RbeeError("WORKER_UNREACHABLE", `cannot reach the worker at ${url}: ${(err as Error).message}`, "The worker may have crashed; see `rbee worker list`.", 502);
  }
  if (!res.ok) {
    const parsed = ErrorBody.safeParse(await res.json().catch(() => ({})));
    if (parsed.success) throw new RbeeError(parsed.data.error.code, parsed.data.error.message, parsed.data.error.hint, res.status);
    throw new RbeeError("WORKER_ERROR", `the worker answered HTTP ${res.status}`, undefined, 502);
  }
  try {
    // Any byte (a token, a prefill ping) proves the worker alive.
    for await (const msg of readSse(res.body!, watchdog.alive)) {
      if (msg.event === "token") {
        const data = JSON.parse(msg.data) as { text: string; logprobs?: TokenLogprob[] };
        onToken(data.text, data.logprobs);
      }
      else if (msg.event === "done") return JSON.parse(msg.data) as InferenceDone;
      else if (msg.event === "error") {
        const { error } = ErrorBody.parse(JSON.parse(msg.data));
        throw new RbeeError(error.code, error.message, error.hint, 500);
      }
    }
  } catch (err) {
    if (signal.aborted) throw signal.reason;
    if (err instanceof RbeeError) throw err;
    throw workerLost(url, err);
  }
  throw workerLost(url);
}

const workerLost = (url: string, cause?: unknown) =>
  new RbeeError("WORKER_LOST", `the worker at ${url} stopped mid-stream${cause ? `: ${(cause as Error).message}` : ""}`, "It is restarted by policy; run the request again.", 502);
