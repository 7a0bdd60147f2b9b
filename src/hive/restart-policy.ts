/**
 * When a crashed worker comes back: after 1, 2, 4, 8 … 60 s, at most `maxRestarts` times
 * within `windowMs`; past that the circuit opens and the worker stays failed.
 */
export interface RestartPolicy {
  baseMs: number;
  maxMs: number;
  maxRestarts: number;
  windowMs: number;
}

/**
 * Which exits bring a worker back (as Docker's restart policies): `on-failure` (the default) a
 * crash, a kill or a hang, not a clean exit; `always` any exit it was not asked for; `never` none.
 */
export const RESTART_MODES = ["always", "on-failure", "never"] as const;
export type RestartMode = (typeof RESTART_MODES)[number];

export function shouldRestart(mode: RestartMode, failed: boolean): boolean {
  return mode === "always" || (mode === "on-failure" && failed);
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = { baseMs: 1_000, maxMs: 60_000, maxRestarts: 3, windowMs: 10 * 60_000 };

export type RestartDecision = { restart: true; delayMs: number; attempt: number } | { restart: false; reason: string };

export class RestartTracker {
  private readonly restarts: number[] = [];

  constructor(private readonly policy: RestartPolicy = DEFAULT_RESTART_POLICY) {}

  /** Called on each crash: restart (after how long), or open the circuit. */
  onCrash(now = Date.now()): RestartDecision {
    while (this.restarts.length && now - this.restarts[0] > this.policy.windowMs) this.restarts.shift();
    if (this.restarts.length >= this.policy.maxRestarts) {
      return { restart: false, reason: `crashed ${this.restarts.length + 1} times within ${Math.round(this.policy.windowMs / 1000)} s` };
    }
    const attempt = this.restarts.length + 1;
    this.restarts.push(now);
    return { restart: true, delayMs: Math.min(this.policy.maxMs, this.policy.baseMs * 2 ** (attempt - 1)), attempt };
  }

  get count(): number {
    return this.restarts.length;
  }
}
