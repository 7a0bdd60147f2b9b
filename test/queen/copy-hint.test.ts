import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RunningHive } from "../../src/hive/start-hive.ts";
import { sha256 } from "../model/fixtures.ts";
import { eventually, startSideHive, startTestQueen, type TestQueen } from "../helpers/queen-harness.ts";
import { createDemoModel, openAiClient, storyOf } from "../helpers/openai-queen.ts";

/** A request that holds the only slot for seconds: the demo model runs until its context is full. */
const LONG = { model: "demo-tiny", messages: [{ role: "user" as const, content: "go on" }], max_tokens: 32_768, stream: true as const };
const SHORT = { model: "demo-tiny", messages: [{ role: "user" as const, content: "hi" }], max_tokens: 4 };

describe("a model only on a busy hive while another hive has room", () => {
  let t: TestQueen;
  let hive: RunningHive;
  let side: Awaited<ReturnType<typeof startSideHive>>;

  beforeEach(async () => {
    t = await startTestQueen({ scheduler: { spawnSlots: 1 } });
    side = await startSideHive(t, "h2");
    hive = side.hive;
    await createDemoModel(t);
  });
  afterEach(async () => {
    await side?.stop();
    await t?.stop();
  });

  /** Holds localhost's one slot with a long stream, then queues a short request behind it; returns that request's job id. */
  async function queueBehindBusyWorker(): Promise<{ waiting: Promise<unknown>; jobId: () => string | undefined; release: () => Promise<unknown> }> {
    const client = openAiClient(t.queen);
    const { data: holder } = await client.chat.completions.create(LONG).withResponse();
    const holding = holder[Symbol.asyncIterator]();
    await holding.next();
    const before = new Set(t.queen.registry.list().map((j) => j.id));
    const waiting = client.chat.completions.create(SHORT);
    await eventually(() => t.queen.scheduler.queueDepth === 1);
    const jobId = () => t.queen.registry.list().find((j) => !before.has(j.id) && j.operation.operation === "infer")?.id;
    return { waiting, jobId, release: async () => holding.return?.() };
  }

  it("the queued request's story names the hive with room and the command that copies the model there", async () => {
    const q = await queueBehindBusyWorker();
    const story = await eventually(() => storyOf(t.queen, q.jobId()!).find((l) => l.includes("has room")));
    expect(story).toBe("demo-tiny is only on hive localhost, which is busy; hive h2 has room: `rbee model copy demo-tiny --to-hive h2` puts it there (or set \"auto_copy\": true in models.json)");
    // A hint only: nothing was copied.
    expect(hive.hive.models.list()).toEqual([]);
    await q.release();
    await q.waiting;
  });

  it("with auto_copy in models.json, the copy starts by itself and h2 gets the same file", async () => {
    mkdirSync(join(t.home, "config"), { recursive: true });
    writeFileSync(join(t.home, "config", "models.json"), JSON.stringify({ auto_copy: true }));
    const q = await queueBehindBusyWorker();

    const story = await eventually(() => storyOf(t.queen, q.jobId()!).find((l) => l.includes("auto_copy")));
    const copyJob = story.match(/job (job-[0-9a-f]+)/)![1];
    await eventually(() => t.queen.registry.require(copyJob).state === "completed" || undefined);
    const [copied] = hive.hive.models.list();
    const original = t.queen.localHive!.models.get("demo-tiny");
    expect(copied).toMatchObject({ id: "demo-tiny", sha256: original.sha256 });
    expect(sha256(readFileSync(copied.path))).toBe(sha256(readFileSync(original.path)));
    await q.release();
    await q.waiting;
  });
});
