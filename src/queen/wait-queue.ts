/**
 * A bounded first-in, first-out queue of callers waiting for something (a free slot).
 * `serve` offers what is available to the waiters in arrival order, so a waiter that can
 * be served is never overtaken by a later one; a waiter whose signal aborts leaves at once.
 */
interface Entry<P, T> {
  payload: P;
  resolve: (value: T) => void;
  reject: (err: unknown) => void;
  leave: () => void;
}

export class WaitQueue<P, T> {
  private readonly entries: Entry<P, T>[] = [];

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.entries.length;
  }

  get full(): boolean {
    return this.entries.length >= this.capacity;
  }

  /** Payloads in arrival order. */
  payloads(): P[] {
    return this.entries.map((e) => e.payload);
  }

  some(pred: (payload: P) => boolean): boolean {
    return this.entries.some((e) => pred(e.payload));
  }

  /**
   * Joins at the back (the caller checks `full` first), or at the front for a waiter that
   * had its turn already and must try again; `position` counts from 1.
   */
  join(payload: P, signal: AbortSignal, front = false): { position: number; granted: Promise<T> } {
    let entry!: Entry<P, T>;
    const granted = new Promise<T>((resolve, reject) => {
      const onAbort = () => {
        this.remove(entry);
        reject(signal.reason);
      };
      entry = {
        payload,
        resolve,
        reject,
        leave: () => signal.removeEventListener("abort", onAbort),
      };
      if (signal.aborted) return reject(signal.reason);
      signal.addEventListener("abort", onAbort, { once: true });
      if (front) this.entries.unshift(entry);
      else this.entries.push(entry);
    });
    return { position: front ? 1 : this.entries.length, granted };
  }

  /** Offers to each waiter in order: a value from `decide` is granted, `undefined` keeps it waiting. */
  serve(decide: (payload: P) => T | undefined): void {
    for (const entry of [...this.entries]) {
      const value = decide(entry.payload);
      if (value === undefined) continue;
      this.remove(entry);
      entry.resolve(value);
    }
  }

  /** Fails the waiters `pred` picks with `err`. */
  rejectWhere(pred: (payload: P) => boolean, err: unknown): void {
    for (const entry of [...this.entries]) {
      if (!pred(entry.payload)) continue;
      this.remove(entry);
      entry.reject(err);
    }
  }

  private remove(entry: Entry<P, T>): void {
    const at = this.entries.indexOf(entry);
    if (at >= 0) this.entries.splice(at, 1);
    entry.leave();
  }
}
