import { Hono } from "hono";
import { Operation, OPERATION_NAMES, READ_ONLY } from "../protocol/operations.ts";
import { RbeeError } from "../protocol/errors.ts";
import { describeZodError, readJson } from "../http/errors.ts";
import type { JobRegistry } from "./job-registry.ts";
import { audit, auditAdmits } from "../security/audit-log.ts";
import { auditUnavailable } from "../http/request-audit.ts";
import { DEADLINE_HEADER, readDeadline } from "./deadline.ts";
import { cancelJob, runJob, type Executor } from "./job-runner.ts";
import { jobStreamResponse, parseLastEventId } from "./job-stream.ts";

/** The job API any daemon mounts: submit, stream, list, inspect, cancel. */
export interface JobRouteOptions {
  /** Refuses an operation before any job exists (e.g. a full inference queue: 503). */
  admit?: (op: Operation) => void;
}

export function jobRoutes(registry: JobRegistry, executor: Executor, opts: JobRouteOptions = {}): Hono {
  const app = new Hono();

  app.post("/v1/jobs", async (c) => {
    const deadline = readDeadline(c.req.header(DEADLINE_HEADER));
    const parsed = Operation.safeParse(await readJson(c));
    if (!parsed.success) {
      throw new RbeeError("INVALID_OPERATION", describeZodError(parsed.error), `Accepted operations: ${OPERATION_NAMES.join(", ")}.`);
    }
    opts.admit?.(parsed.data);
    // Reads are not audited (like GETs); a change the audit log cannot record may be refused.
    const audited = !READ_ONLY.has(parsed.data.operation);
    if (audited && !auditAdmits()) throw auditUnavailable();
    const job = registry.create(parsed.data, c.req.header("x-correlation-id"));
    job.deadline = deadline;
    job.actorToken = c.get("actorToken");
    if (audited) audit("job_created", job.auditFields());
    void runJob(job, executor);
    // A client that asks for the stream gets it at once: one round trip instead of two.
    if (c.req.header("accept")?.includes("text/event-stream")) {
      const res = jobStreamResponse(job, 0);
      res.headers.set("x-rbee-job-id", job.id);
      return res;
    }
    return c.json({ job_id: job.id, sse_url: `/v1/jobs/${job.id}/stream` }, 201);
  });

  app.get("/v1/jobs", (c) => c.json({ jobs: registry.list().map((j) => j.info()) }));

  app.get("/v1/jobs/:id", (c) => c.json(registry.require(c.req.param("id")).info()));

  app.get("/v1/jobs/:id/stream", (c) => {
    const job = registry.require(c.req.param("id"));
    return jobStreamResponse(job, parseLastEventId(c.req.header("last-event-id"), c.req.query("last_event_id")));
  });

  app.delete("/v1/jobs/:id", (c) => {
    const job = registry.require(c.req.param("id"));
    const cancelled = cancelJob(job);
    if (cancelled) audit("job_cancelled", { ...job.auditFields(), actor_token: c.get("actorToken") });
    return c.json({ job_id: job.id, cancelled, state: job.state });
  });

  return app;
}
