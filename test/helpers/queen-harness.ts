import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { DaemonClient } from "../../src/keeper/daemon-client.ts";
import type { JobEvent } from "../../src/protocol/events.ts";
import { startQueen, type QueenOptions, type RunningQueen } from "../../src/queen/start-queen.ts";

/** Runs `fn` with RBEE_HOME pointing at `home` (daemons read it when they are created). */
export function withHome<T>(home: string, fn: () => T): T {
  const before = process.env.RBEE_HOME;
  process.env.RBEE_HOME = home;
  try {
    return fn();
  } finally {
    if (before === undefined) delete process.env.RBEE_HOME;
    else process.env.RBEE_HOME = before;
  }
}

export const tempHome = (): string => mkdtempSync(join(tmpdir(), "rbee-queen-"));

export interface TestQueen {
  queen: RunningQueen;
  home: string;
  client: OpenAI;
  stop(): Promise<void>;
}

/** A real queen on a random loopback port with its own RBEE_HOME and the embedded hive. */
export function startTestQueen(opts: Partial<QueenOptions> = {}): TestQueen {
  const home = tempHome();
  const queen = withHome(home, () => startQueen({ port: 0, bind: "127.0.0.1", ...opts }));
  // No retries: a test must see the first answer (the client retries 5xx on its own otherwise).
  const client = new OpenAI({ baseURL: `${queen.url}/v1`, apiKey: "unused", maxRetries: 0 });
  return {
    queen,
    home,
    client,
    async stop() {
      await queen.stop();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** Submits an operation to a daemon's job API and follows it to the end. */
export async function runOperation(url: string, op: Record<string, unknown>): Promise<{ state: string; error?: string; result?: unknown; events: JobEvent[] }> {
  const client = new DaemonClient(url);
  const { job_id } = await client.submit(op);
  const events: JobEvent[] = [];
  const outcome = await client.stream(job_id, { onEvent: (e) => events.push(e) });
  const result = events.find((e) => e.kind === "result");
  return { ...outcome, events, result: result?.kind === "result" ? result.result : undefined };
}

/** The demo model on a hive, through the queen's job API (`model_download demo:tiny`). */
export async function createDemoModel(url: string, hiveId = "localhost"): Promise<void> {
  const done = await runOperation(url, { operation: "model_download", hive_id: hiveId, model: "demo:tiny" });
  if (done.state !== "completed") throw new Error(`demo model: ${JSON.stringify(done)}`);
}

/** The narration lines of a queen job, so far. */
export function storyOf(queen: RunningQueen, jobId: string): string[] {
  const lines: string[] = [];
  const decoder = new TextDecoder();
  queen.registry.require(jobId).subscribe(0, (frame) => {
    const text = decoder.decode(frame.bytes);
    if (text.includes("\nevent: narration\n")) lines.push((JSON.parse(text.slice(text.indexOf("data: ") + 6)) as { human: string }).human);
  })();
  return lines;
}

/** Polls `check` until it holds, at most `ms` (a bound, not a sleep). */
export async function until(check: () => Promise<boolean> | boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`condition not met within ${ms} ms`);
    await Bun.sleep(10);
  }
}
