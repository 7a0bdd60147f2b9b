import type { ScheduledOp } from "../protocol/operations.ts";

/** What the scheduler places: a generation, or an embedding (which holds no conversation). */
type Placed = ScheduledOp;

/** How much of a prompt is remembered per worker. */
const REMEMBERED_CHARS = 4096;
/**
 * The same conversation continues most of what the worker served last (as llama-server's slot
 * prompt similarity); a shared system prompt alone is not enough to take another one's worker.
 */
const MIN_SHARED_FRACTION = 0.5;

/**
 * What each worker served last, so the scheduler can send a conversation back to the worker
 * whose slot still holds its KV, and give new conversations the worker used longest ago
 * (keeping other conversations' caches warm).
 */
export class ConversationAffinity {
  private readonly last = new Map<string, { text: string; at: number }>();
  private clock = 0;

  /** How many leading characters of `op`'s conversation the worker `key` served last (0 unless it continues it). */
  shared(key: string, op: Placed): number {
    const last = this.last.get(key)?.text;
    if (!last) return 0;
    const text = conversationText(op);
    const n = Math.min(last.length, text.length);
    let i = 0;
    while (i < n && last.charCodeAt(i) === text.charCodeAt(i)) i++;
    return i >= last.length * MIN_SHARED_FRACTION ? i : 0;
  }

  /** When the worker was last given a request (0: never). */
  lastUsed(key: string): number {
    return this.last.get(key)?.at ?? 0;
  }

  served(key: string, op: Placed): void {
    this.last.set(key, { text: conversationText(op).slice(0, REMEMBERED_CHARS), at: ++this.clock });
  }

  /** Forgets workers that are gone. */
  keepOnly(keys: ReadonlySet<string>): void {
    for (const key of this.last.keys()) if (!keys.has(key)) this.last.delete(key);
  }
}

/** A request's text in the order the worker reads it. */
const conversationText = (op: Placed) => (op.operation !== "infer" ? "" : (op.prompt ?? (op.messages ?? []).map((m) => `${m.role}\n${m.content}\n`).join("")));
