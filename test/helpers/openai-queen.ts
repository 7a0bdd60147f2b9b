import OpenAI from "openai";
import type { RunningQueen } from "../../src/queen/start-queen.ts";
import { afterAll, beforeAll } from "vitest";
import { startTestQueen, type TestQueen } from "./queen-harness.ts";

/** The official OpenAI client pointed at a queen; no retries, so a test sees the first answer. */
export const openAiClient = (queen: RunningQueen, opts: { apiKey?: string; timeout?: number } = {}) =>
  new OpenAI({ baseURL: `${queen.url}/v1`, apiKey: opts.apiKey ?? "unused", maxRetries: 0, timeout: opts.timeout ?? 60_000 });

/** The demo model on a hive, through the queen's job API (`model_download demo:tiny`). */
export async function createDemoModel(t: TestQueen, hiveId = "localhost"): Promise<void> {
  const done = await t.run({ operation: "model_download", hive_id: hiveId, model: "demo:tiny" });
  if (done.outcome.state !== "completed") throw new Error(`demo model: ${JSON.stringify(done.outcome)}`);
}

/** The narration lines of a queen job so far. */
export function storyOf(queen: RunningQueen, jobId: string): string[] {
  const lines: string[] = [];
  const decoder = new TextDecoder();
  const unsubscribe = queen.registry.require(jobId).subscribe(0, (frame) => {
    const text = decoder.decode(frame.bytes);
    if (text.includes("\nevent: narration\n")) lines.push((JSON.parse(text.slice(text.indexOf("data: ") + 6)) as { human: string }).human);
  });
  unsubscribe();
  return lines;
}

/**
 * One queen with the demo model for every test of the enclosing describe (started before the
 * first, stopped after the last), with an OpenAI client on it. Read the fields inside tests.
 */
export function demoQueenForSuite(): { t: TestQueen; client: OpenAI } {
  const suite = {} as { t: TestQueen; client: OpenAI };
  beforeAll(async () => {
    suite.t = await startTestQueen();
    suite.client = openAiClient(suite.t.queen);
    await createDemoModel(suite.t);
  });
  afterAll(async () => {
    await suite.t?.stop();
  });
  return suite;
}
