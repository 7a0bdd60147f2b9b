import { Command, Option } from "clipanion";
import { READ_ONLY, type OperationName } from "../../src/protocol/operations.ts";
import type { JobInfo } from "../../src/protocol/jobs.ts";
import { formatTable } from "../../src/keeper/table.ts";
import { QueenCommand } from "../queen-command.ts";

export class JobsListCommand extends QueenCommand {
  static paths = [["jobs", "list"], ["jobs"]];
  static usage = Command.Usage({
    category: "Jobs",
    description: "list the queen's jobs (running and recently finished)",
    details: "Reads (status, lists, gets — what the CLI and the dashboard ask) are left out unless `--all`.",
    examples: [["List jobs", "$0 jobs list"], ["Reads too, as NDJSON", "$0 jobs list --all --json"]],
  });

  all = Option.Boolean("--all", false, { description: "include read jobs (status, lists, gets)" });

  async run(): Promise<number> {
    const every = await (await this.runningQueen()).list();
    const jobs = every.filter((j) => this.all || !READ_ONLY.has(j.operation as OperationName));
    if (this.json) {
      for (const job of jobs) this.print(JSON.stringify(job));
      return 0;
    }
    const hidden = every.length - jobs.length;
    if (jobs.length) this.print(formatJobTable(jobs));
    else this.print("no jobs");
    if (hidden) this.print(`(${hidden} read job(s) hidden; --all shows them)`);
    return 0;
  }
}

export function formatJobTable(jobs: JobInfo[]): string {
  const rows = jobs
    .sort((a, b) => a.created_at - b.created_at)
    .map((j) => [j.job_id, j.operation, j.state, new Date(j.created_at).toISOString().slice(11, 19), j.error]);
  return formatTable(["JOB", "OPERATION", "STATE", "CREATED", "ERROR"], rows);
}
