import { z } from "zod";

export const JobState = z.enum(["queued", "running", "completed", "failed", "cancelled"]);
export type JobState = z.infer<typeof JobState>;

/** What `GET /v1/jobs/:id` answers. */
export const JobInfo = z.object({
  job_id: z.string(),
  operation: z.string(),
  state: JobState,
  created_at: z.number(),
  started_at: z.number().optional(),
  finished_at: z.number().optional(),
  error: z.string().optional(),
  hive_id: z.string().optional(),
  events: z.number(),
});
export type JobInfo = z.infer<typeof JobInfo>;

/** What `POST /v1/jobs` answers. */
export const JobCreated = z.object({ job_id: z.string(), sse_url: z.string() });
export type JobCreated = z.infer<typeof JobCreated>;

export const isFinished = (s: JobState) => s === "completed" || s === "failed" || s === "cancelled";
