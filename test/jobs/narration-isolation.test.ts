import { describe, expect, it } from "vitest";
import { narrate } from "../../src/narration/narrate.ts";
import { setLogWriter } from "../../src/narration/log-sink.ts";
import { collectStream, narrationsOf, newRegistry, startJob } from "../helpers/job-harness.ts";

const tick = () => new Promise((r) => setTimeout(r, 0));

/** Narrates 50 lines through nested awaits, timers and Promise.all, without passing any id. */
async function fiftyLines(tag: string): Promise<void> {
  for (let i = 0; i < 10; i++) {
    await tick();
    narrate("step", `${tag} ${i * 5}`);
    await new Promise<void>((resolve) => setTimeout(() => { narrate("step", `${tag} ${i * 5 + 1}`); resolve(); }, 1));
    const deeper = async (n: number) => { await Promise.resolve(); narrate("step", `${tag} ${n}`); };
    await deeper(i * 5 + 2);
    // Promise.all with a fixed order of narration: each awaits the previous one's promise.
    const first = deeper(i * 5 + 3);
    await Promise.all([first, first.then(() => deeper(i * 5 + 4))]);
  }
}

describe("narration reaches exactly its own job's stream", () => {
  it("1,000 concurrent jobs each receive their own 50 events, in order", async () => {
    // given 1,000 jobs running at once, each narrating 50 lines
    const registry = newRegistry();
    const jobs = Array.from({ length: 1000 }, (_, n) => startJob(registry, () => fiftyLines(`job${n}`)));
    // when every stream is read to its end
    const streams = await Promise.all(jobs.map(({ job }) => collectStream(registry, job.id)));
    // then each holds its own lines 0..49 in order, then [DONE]
    streams.forEach((messages, n) => {
      const lines = narrationsOf(messages);
      expect(lines.map((l) => l.human)).toEqual(Array.from({ length: 50 }, (_, i) => `job${n} ${i}`));
      expect(lines.every((l) => l.job_id === jobs[n].job.id)).toBe(true);
      expect(messages.at(-1)?.data).toBe("[DONE]");
    });
  });

  it("narration outside any job reaches no stream, only the log", async () => {
    const registry = newRegistry();
    const logged: string[] = [];
    setLogWriter((line) => logged.push(line));
    try {
      // given a running job that waits on something outside it
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const { job } = startJob(registry, async () => { narrate("inside", "inside the job"); await gate; });
      const reading = collectStream(registry, job.id);
      // when code outside any job narrates while the job runs
      await tick();
      narrate("outside", "outside any job");
      release();
      const messages = await reading;
      // then the stream has only the job's own line; the outside line went to the log
      expect(narrationsOf(messages).map((l) => l.human)).toEqual(["inside the job"]);
      expect(logged.some((l) => l.includes("outside any job"))).toBe(true);
    } finally {
      setLogWriter(undefined);
    }
  });
});
