import { Command } from "clipanion";
import type { JobInfo } from "../../src/protocol/jobs.ts";
import { formatTable } from "../../src/keeper/table.ts";
import { QueenCommand } from "../queen-command.ts";

export class JobsListCommand extends QueenCommand {
  static paths = [["jobs", "list"], ["jobs"]];
  static usage = Command.Usage({
    category: "Jobs",
    description: "list the queen's jobs (running and recently finished)",
    examples: [["List jobs", "$0 jobs list"], ["As NDJSON", "$0 jobs list --json"]],
  });

  async run(): Promise<number> {
    const jobs = await (await this.runningQueen()).list();
    if (this.json) {
      for (const job of jobs) this.print(JSON.stringify(job));
      return 0;
    }
    if (!jobs.length) {
      this.print("no jobs");
      return 0;
    }
    this.print(formatJobTable(jobs));
    return 0;
  }
}

export function formatJobTable(jobs: JobInfo[]): string {
  const rows = jobs
    .sort((a, b) => a.created_at - b.created_at)
    .map((j) => [j.job_id, j.operation, j.state, new Date(j.created_at).toISOString().slice(11, 19), j.error]);
  return formatTable(["JOB", "OPERATION", "STATE", "CREATED", "ERROR"], rows);
}
