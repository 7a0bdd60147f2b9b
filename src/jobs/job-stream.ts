import type { Job } from "./job.ts";
import { SSE_HEADERS, SSE_PING } from "./sse.ts";

/** Idle subscribers get a `: ping` comment this often (below Bun's and most proxies' cuts). */
export const PING_INTERVAL_MS = 5_000;

/**
 * The SSE response for one subscriber of a job: replay after Last-Event-ID, then live
 * frames, then the terminal marker, then close. A disconnecting client just unsubscribes:
 * the job keeps running for its other subscribers.
 */
export function jobStreamResponse(job: Job, lastEventId: number, pingMs = PING_INTERVAL_MS): Response {
  let unsubscribe = () => {};
  let ping: ReturnType<typeof setInterval> | undefined;
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      let closed = false;
      let lastSent = Date.now();
      let sent = false;
      const close = () => {
        if (closed) return;
        closed = true;
        clearInterval(ping);
        controller.close();
      };
      unsubscribe = job.subscribe(lastEventId, (frame, final) => {
        if (closed) return;
        controller.enqueue(frame.bytes);
        lastSent = Date.now();
        sent = true;
        if (final) close();
      });
      // Bun sends the response head with the first bytes: a quiet job (a slow engine probe)
      // would otherwise keep its caller from even learning the job id.
      if (!closed && !sent) controller.enqueue(SSE_PING);
      if (!closed) {
        ping = setInterval(() => {
          if (!closed && Date.now() - lastSent >= pingMs) {
            controller.enqueue(SSE_PING);
            lastSent = Date.now();
          }
        }, pingMs);
      }
    },
    cancel() {
      clearInterval(ping);
      unsubscribe();
    },
  });
  return new Response(stream, { headers: SSE_HEADERS });
}

export function parseLastEventId(header: string | null | undefined, query?: string | null): number {
  const raw = header ?? query ?? "0";
  const n = Number.parseInt(raw, 10);
  return Number.isFinite(n) && n > 0 ? n : 0;
}
