import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startTestQueen, type TestQueen } from "../helpers/queen-harness.ts";
import { createDemoModel, openAiClient } from "../helpers/openai-queen.ts";

/**
 * A strict reader of the Prometheus text format 0.0.4: every sample belongs to a family
 * declared with # TYPE (histograms by their _bucket/_sum/_count series); values are numbers.
 */
function parsePrometheus(text: string): { types: Map<string, string>; samples: Map<string, number> } {
  const types = new Map<string, string>();
  const samples = new Map<string, number>();
  expect(text.endsWith("\n")).toBe(true);
  for (const line of text.trimEnd().split("\n")) {
    const type = line.match(/^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/);
    if (type) {
      types.set(type[1], type[2]);
      continue;
    }
    if (/^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* .+$/.test(line)) continue;
    const sample = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? (\S+)$/);
    if (!sample) throw new Error(`not a Prometheus line: ${line}`);
    const family = sample[1].replace(/_(bucket|sum|count)$/, "");
    expect(types.has(sample[1]) || types.get(family) === "histogram", `family of ${sample[1]} declared`).toBe(true);
    const value = sample[3] === "+Inf" ? Infinity : Number(sample[3]);
    expect(Number.isNaN(value), line).toBe(false);
    samples.set(`${sample[1]}${sample[2] ?? ""}`, value);
  }
  return { types, samples };
}

describe("GET /metrics", () => {
  let t: TestQueen;
  beforeEach(async () => {
    t = await startTestQueen();
    await createDemoModel(t);
  });
  afterEach(async () => {
    await t.stop();
  });

  it("parses as Prometheus text and counts the tokens and first-token times of completed requests", async () => {
    const client = openAiClient(t.queen);
    await client.chat.completions.create({ model: "demo-tiny", messages: [{ role: "user", content: "hi" }], max_tokens: 8 });
    await client.completions.create({ model: "demo-tiny", prompt: "hi", max_tokens: 5 });

    const res = await fetch(`${t.queen.url}/metrics`);
    expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    const { types, samples } = parsePrometheus(await res.text());

    expect(types.get("rbee_tokens_generated_total")).toBe("counter");
    expect(types.get("rbee_time_to_first_token_seconds")).toBe("histogram");
    expect(samples.get("rbee_tokens_generated_total")).toBe(13);
    expect(samples.get('rbee_jobs{state="completed"}')).toBe(3); // the download and two completions
    expect(samples.get('rbee_jobs{state="running"}')).toBe(0);
    expect(samples.get("rbee_queue_depth")).toBe(0);
    expect(samples.get("rbee_hives_online")).toBe(1);
    expect(samples.get('rbee_workers{state="ready"}')).toBe(1);
    expect(samples.get("rbee_worker_slots")).toBe(4);
    expect(samples.get("rbee_worker_slots_busy")).toBe(0);

    const buckets = [...samples].filter(([k]) => k.startsWith("rbee_time_to_first_token_seconds_bucket")).map(([, v]) => v);
    expect(buckets.every((v, i) => i === 0 || v >= buckets[i - 1])).toBe(true);
    expect(samples.get('rbee_time_to_first_token_seconds_bucket{le="+Inf"}')).toBe(2);
    expect(samples.get("rbee_time_to_first_token_seconds_count")).toBe(2);
    expect(samples.get("rbee_time_to_first_token_seconds_sum")).toBeGreaterThan(0);
  });
});
