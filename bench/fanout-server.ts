/**
 * The server side of bench/sse-fanout.ts: the real daemon server and job API, with one
 * bench-only executor. Every job waits for POST /bench/go, then narrates EVENTS lines.
 */
import { Hono } from "hono";
import { startDaemon } from "../src/http/daemon-server.ts";
import { JobRegistry } from "../src/jobs/job-registry.ts";
import { jobRoutes } from "../src/jobs/job-routes.ts";
import { narrate } from "../src/narration/narrate.ts";

const events = Number(process.env.EVENTS ?? 20);
let go!: () => void;
const started = new Promise<void>((r) => (go = r));

const registry = new JobRegistry({ maxActiveJobs: 100_000, maxFinishedJobs: 100_000 });
const executor = async () => {
  await started;
  for (let i = 0; i < events; i++) {
    narrate("tick", `event ${i}`);
    // Yield between lines so all jobs interleave, as real jobs do.
    await new Promise((r) => setTimeout(r, 1));
  }
};
const bench = new Hono().post("/bench/go", (c) => {
  go();
  return c.json({ ok: true });
});
const daemon = startDaemon({ role: "queen", port: 0, bind: "127.0.0.1", routes: [jobRoutes(registry, executor), bench] });
console.log(`listening on ${daemon.url}`);
