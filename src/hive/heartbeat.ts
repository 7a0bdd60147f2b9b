import { narrate } from "../narration/narrate.ts";
import { authHeaders, queenToken } from "../security/api-token.ts";
import type { WorkerInfo } from "./worker-process.ts";

export interface Heartbeat {
  hive_id: string;
  url: string;
  workers: WorkerInfo[];
  /** Device ids (cpu:0, cuda:0 …), detected once at start. */
  devices?: string[];
}

/**
 * Registers the hive with its queen and keeps telling it "alive" every second, with its
 * workers' telemetry. A queen that does not answer is retried with backoff (1 s … 10 s);
 * a queen that comes back (restarted) gets the hive again on the next beat.
 */
export function startHeartbeat(queenUrl: string, beat: () => Heartbeat, everyMs = 1_000): () => void {
  let stopped = false;
  let failures = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const send = async () => {
    try {
      const res = await fetch(`${queenUrl}/v1/hives/heartbeat`, {
        method: "POST",
        headers: { "content-type": "application/json", ...authHeaders(queenToken()) },
        body: JSON.stringify(beat()),
        signal: AbortSignal.timeout(2_000),
      });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      if (!registered || failures) narrate("registered", `registered with the queen at ${queenUrl}`);
      registered = true;
      failures = 0;
    } catch (err) {
      if (failures === 0) narrate("queen_unreachable", `cannot reach the queen at ${queenUrl}: ${(err as Error).message}; retrying`, { level: "warn" });
      failures++;
    }
    if (!stopped) timer = setTimeout(send, failures ? Math.min(10_000, everyMs * 2 ** Math.min(failures - 1, 4)) : everyMs);
  };
  let registered = false;
  void send();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
