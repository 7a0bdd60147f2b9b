/**
 * The Prometheus text exposition format, version 0.0.4: `# HELP`, `# TYPE`, then one
 * `name{label="value"} number` line per series.
 */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export type Labels = Record<string, string>;

export interface Sample {
  labels?: Labels;
  value: number;
}

const escapeLabel = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
const escapeHelp = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");

function formatValue(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (n === Infinity) return "+Inf";
  if (n === -Infinity) return "-Inf";
  return String(n);
}

function series(name: string, labels: Labels | undefined, value: number): string {
  const pairs = Object.entries(labels ?? {});
  const body = pairs.length ? `{${pairs.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(",")}}` : "";
  return `${name}${body} ${formatValue(value)}`;
}

/** A gauge or counter family. */
export function family(name: string, type: "gauge" | "counter", help: string, samples: Sample[]): string {
  return [`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`, ...samples.map((s) => series(name, s.labels, s.value))].join("\n");
}

/** A histogram with fixed upper bounds; `observe` in the same unit as the bounds. */
export class Histogram {
  private readonly counts: number[];
  private sum = 0;
  private count = 0;

  constructor(readonly bounds: readonly number[]) {
    this.counts = bounds.map(() => 0);
  }

  observe(value: number): void {
    if (!Number.isFinite(value)) return;
    this.sum += value;
    this.count++;
    const at = this.bounds.findIndex((b) => value <= b);
    if (at >= 0) this.counts[at]++;
  }

  render(name: string, help: string): string {
    let cumulative = 0;
    const buckets = this.bounds.map((b, i) => series(`${name}_bucket`, { le: formatValue(b) }, (cumulative += this.counts[i])));
    return [
      `# HELP ${name} ${escapeHelp(help)}`,
      `# TYPE ${name} histogram`,
      ...buckets,
      series(`${name}_bucket`, { le: "+Inf" }, this.count),
      series(`${name}_sum`, undefined, this.sum),
      series(`${name}_count`, undefined, this.count),
    ].join("\n");
  }
}
