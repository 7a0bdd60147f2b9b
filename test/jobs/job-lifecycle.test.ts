import { describe, expect, it } from "vitest";
import { narrate } from "../../src/narration/narrate.ts";
import { withTimeout } from "../../src/narration/with-timeout.ts";
import { cancelJob } from "../../src/jobs/job-runner.ts";
import { jobStreamResponse } from "../../src/jobs/job-stream.ts";
import { collectStream, narrationsOf, newRegistry, startJob } from "../helpers/job-harness.ts";

const untilAborted = (signal: AbortSignal) => new Promise<never>((_, reject) => signal.addEventListener("abort", () => reject(signal.reason), { once: true }));

describe("job lifecycle", () => {
  it("cancel ends the stream with [CANCELLED] and the executor sees the abort", async () => {
    const registry = newRegistry();
    let sawAbort = false;
    const { job, done } = startJob(registry, async (_op, { signal }) => {
      narrate("waiting", "waiting forever");
      await untilAborted(signal).catch((e) => { sawAbort = true; throw e; });
    });
    const reading = collectStream(registry, job.id);
    expect(cancelJob(job)).toBe(true);
    const messages = await reading;
    await done;
    expect(messages.at(-1)?.data).toBe("[CANCELLED]");
    expect(messages.filter((m) => m.data.startsWith("[")).length).toBe(1);
    expect(job.state).toBe("cancelled");
    expect(sawAbort).toBe(true);
  });

  it("an executor that throws ends with [ERROR] and its message", async () => {
    const registry = newRegistry();
    const { job, done } = startJob(registry, async () => { narrate("trying", "about to fail"); throw new Error("disk on fire"); });
    await done;
    const messages = await collectStream(registry, job.id);
    expect(messages.at(-1)?.data).toBe("[ERROR] disk on fire");
    expect(job.info()).toMatchObject({ state: "failed", error: "disk on fire" });
  });

  it("a step past its time limit fails the job with '<label> timed out after N s'", async () => {
    const registry = newRegistry();
    const { job, done } = startJob(registry, (_op, { signal }) => withTimeout("loading the model", 50, untilAborted, signal));
    await done;
    const messages = await collectStream(registry, job.id);
    expect(messages.at(-1)?.data).toBe("[ERROR] loading the model timed out after 0.1 s");
    // the start and the timeout were narrated on the job's own stream
    expect(narrationsOf(messages).map((l) => l.action)).toEqual(expect.arrayContaining(["timeout_start", "timeout"]));
  });

  it("a late subscriber gets the full replay; Last-Event-ID resumes after what it saw", async () => {
    const registry = newRegistry();
    const { job, done } = startJob(registry, async () => {
      for (let i = 0; i < 20; i++) narrate("line", `line ${i}`);
      return { answer: 42 };
    });
    await done;
    const all = await collectStream(registry, job.id);
    expect(narrationsOf(all).map((l) => l.human)).toEqual(Array.from({ length: 20 }, (_, i) => `line ${i}`));
    expect(all.find((m) => m.event === "result")?.data).toBe('{"kind":"result","result":{"answer":42}}');
    const resumed = await collectStream(registry, job.id, 15);
    expect(narrationsOf(resumed).map((l) => l.human)).toEqual(["line 15", "line 16", "line 17", "line 18", "line 19"]);
    expect(resumed.at(-1)?.data).toBe("[DONE]");
  });

  it("several subscribers see the same story", async () => {
    const registry = newRegistry();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { job } = startJob(registry, async () => { narrate("a", "one"); await gate; narrate("b", "two"); });
    const readers = [collectStream(registry, job.id), collectStream(registry, job.id), collectStream(registry, job.id)];
    release();
    const results = await Promise.all(readers);
    for (const messages of results) expect(narrationsOf(messages).map((l) => l.human)).toEqual(["one", "two"]);
  });

  it("the registry stays bounded: finished jobs past the cap or retention are dropped", async () => {
    const registry = newRegistry({ maxFinishedJobs: 100, retentionMs: 60_000 });
    const stop = { operation: "hive_stop", alias: "gpu1" } as const;
    for (let i = 0; i < 2_000; i++) await startJob(registry, async () => undefined, stop).done;
    registry.sweep();
    expect(registry.size).toBe(100);
    registry.sweep(Date.now() + 61_000);
    expect(registry.size).toBe(0);
  });

  it("polled reads never push a user's own jobs out", async () => {
    const registry = newRegistry({ maxFinishedJobs: 10, maxFinishedReads: 5, readRetentionMs: 1_000 });
    const mine = await Promise.all(Array.from({ length: 3 }, () => startJob(registry, async () => undefined, { operation: "hive_stop", alias: "a" })));
    for (let i = 0; i < 500; i++) await startJob(registry, async () => undefined, { operation: "hive_list" }).done;
    registry.sweep();
    expect(registry.list().filter((j) => j.operation.operation === "hive_list").length).toBe(5);
    for (const { job } of mine) expect(registry.get(job.id)).toBeDefined();
    registry.sweep(Date.now() + 2_000);
    expect(registry.size).toBe(3);
  });

  it("the replay buffer is bounded per job", async () => {
    const registry = newRegistry({ maxEventsPerJob: 10 });
    const { job, done } = startJob(registry, async () => { for (let i = 0; i < 100; i++) narrate("x", `n${i}`); });
    await done;
    const lines = narrationsOf(await collectStream(registry, job.id));
    expect(lines.map((l) => l.human)).toEqual(Array.from({ length: 10 }, (_, i) => `n${90 + i}`));
    expect(job.info().events).toBe(100);
  });
});

describe("idle streams", () => {
  it("open with a comment at once, so a caller learns a quiet job's id before its first event", async () => {
    const registry = newRegistry();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { job } = startJob(registry, async () => { await gate; });
    // the default ping comes after 5 s; the test's 2 s limit fails unless the stream opens now
    const reader = jobStreamResponse(job, 0).body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe(": ping\n\n");
    release();
    await reader.cancel();
  }, 2_000);

  it("send `: ping` comments while a job is quiet, so idle cuts never end them", async () => {
    const registry = newRegistry();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { job } = startJob(registry, async () => { await gate; });
    const res = jobStreamResponse(job, 0, 20);
    const reader = res.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toBe(": ping\n\n");
    release();
    let rest = "";
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) rest += new TextDecoder().decode(chunk.value);
    expect(rest.trimEnd().endsWith("data: [DONE]")).toBe(true);
  });
});
