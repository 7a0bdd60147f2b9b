import { narrate } from "../narration/narrate.ts";

const SETTLE_MS = 500;

/**
 * Narrates a byte transfer: a start line, progress events at most every `intervalMs`
 * (clients draw the bar from them; a stream of every chunk would drown the job's story),
 * and a done line. Rate and ETA are measured over this transfer only, not resumed bytes.
 */
export class ProgressNarrator {
  private readonly startedAt = performance.now();
  private lastEmit = -Infinity;

  constructor(
    private readonly label: string,
    private readonly startBytes: number,
    private readonly total: number | undefined,
    private readonly intervalMs = 250,
  ) {}

  start(verb = "downloading"): void {
    const size = this.total === undefined ? "size unknown" : formatBytes(this.total);
    if (this.startBytes > 0) {
      narrate("download_start", `resuming ${this.label} at ${formatBytes(this.startBytes)} of ${size}`, { file: this.label, resumed_from: this.startBytes, total_bytes: this.total });
    } else {
      narrate("download_start", `${verb} ${this.label} (${size})`, { file: this.label, total_bytes: this.total });
    }
  }

  tick(current: number, force = false): void {
    const now = performance.now();
    if (!force && now - this.lastEmit < this.intervalMs) return;
    this.lastEmit = now;
    const rate = this.rate(current, now);
    // The first chunks arrive in a burst: a rate over a few milliseconds would promise the moon.
    const settled = now - this.startedAt >= SETTLE_MS;
    const eta = settled && this.total !== undefined && rate > 0 ? Math.max(0, Math.round((this.total - current) / rate)) : undefined;
    const percent = this.total ? ` (${Math.floor((current / this.total) * 100)}%)` : "";
    const of = this.total === undefined ? "" : ` of ${formatBytes(this.total)}`;
    const speed = settled && rate > 0 ? ` at ${formatBytes(rate)}/s` : "";
    const left = eta !== undefined ? `, about ${formatDuration(eta)} left` : "";
    narrate("download_progress", `${this.label}: ${formatBytes(current)}${of}${percent}${speed}${left}`, {
      progress: { current, ...(this.total !== undefined ? { total: this.total } : {}), unit: "bytes" },
      rate_bps: Math.round(rate),
      ...(eta !== undefined ? { eta_s: eta } : {}),
    });
  }

  done(current: number): void {
    this.tick(current, true);
    const seconds = (performance.now() - this.startedAt) / 1000;
    narrate("download_done", `${this.label}: ${formatBytes(current)} in ${formatDuration(seconds)}`, { file: this.label, size_bytes: current, seconds: Number(seconds.toFixed(3)) });
  }

  private rate(current: number, now: number): number {
    const seconds = (now - this.startedAt) / 1000;
    return seconds > 0 ? (current - this.startBytes) / seconds : 0;
  }
}

export function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${Math.round(value)} B` : `${value.toFixed(1)} ${units[unit]}`;
}

export function formatDuration(seconds: number): string {
  if (seconds < 1) return `${seconds.toFixed(1)} s`;
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}
