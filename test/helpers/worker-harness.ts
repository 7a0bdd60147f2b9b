import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readSse } from "../../src/keeper/sse-reader.ts";
import { writeDemoModel, type DemoModelOptions } from "../../src/model/gguf-writer.ts";
import { startWorkerServer, type WorkerServer, type WorkerServerOptions } from "../../src/worker/server.ts";

/** A temp folder with a freshly written demo model; `cleanup()` removes both. */
export function demoModelDir(opts: DemoModelOptions = {}): { dir: string; modelPath: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "rbee-worker-"));
  const modelPath = join(dir, "demo-tiny.gguf");
  writeDemoModel(modelPath, opts);
  return { dir, modelPath, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** An in-process worker on a random loopback port, loaded and ready. */
export async function readyWorker(modelPath: string, opts: Partial<WorkerServerOptions> = {}): Promise<WorkerServer> {
  const worker = await startWorkerServer({ modelPath, modelId: "demo-tiny", port: 0, threads: 1, contextSize: 1024, ...opts });
  await worker.ready;
  return worker;
}

export interface StreamEvent {
  event: string;
  data: any;
  at: number;
}

export function infer(url: string, body: object, signal?: AbortSignal): Promise<Response> {
  return fetch(`${url}/v1/inference`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body), signal });
}

/** Reads an inference stream to its end, stamping each event with when it arrived. */
export async function collect(res: Response): Promise<StreamEvent[]> {
  const events: StreamEvent[] = [];
  for await (const m of readSse(res.body!)) events.push({ event: m.event ?? "message", data: JSON.parse(m.data), at: performance.now() });
  return events;
}

export const textOf = (events: StreamEvent[]) => events.filter((e) => e.event === "token").map((e) => e.data.text).join("");

export async function info(url: string): Promise<{ busy: number; slots: number; decode_steps: number; tokens_generated: number; prompt_tokens_evaluated: number; [k: string]: unknown }> {
  return (await fetch(`${url}/v1/info`)).json() as never;
}

/** Polls `check` until it holds, at most `ms` (a bound, not a sleep). */
export async function until(check: () => Promise<boolean> | boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`condition not met within ${ms} ms`);
    await Bun.sleep(10);
  }
}
