import { Command } from "clipanion";
import type { QueenStatus } from "../src/queen/queen-status.ts";
import { QueenCommand } from "./queen-command.ts";

export class StatusCommand extends QueenCommand {
  static paths = [["status"]];
  static usage = Command.Usage({
    description: "show the queen's status: version, uptime, jobs, hives",
    details: `
      Runs the \`status\` job on the queen: its narration goes to stderr, the result to stdout.
      Exit code 0 when the job completes, 1 when it fails, 130 when cancelled.
    `,
    examples: [
      ["Show the status", "$0 status"],
      ["Every event as NDJSON", "$0 status --json"],
      ["Ask another queen", "$0 status --queen-url http://127.0.0.1:9000"],
    ],
  });

  async run(): Promise<number> {
    const queen = await this.runningQueen();
    return this.follow({ operation: "status" }, (r) => {
      const s = r as QueenStatus;
      const jobs = Object.entries(s.jobs).map(([k, v]) => `${k} ${v}`).join(", ");
      const hives = s.hives.length ? s.hives.map((h) => `${h.id} (${h.state})`).join(", ") : "none";
      return `version  ${s.version}\npid      ${s.pid}\nuptime   ${s.uptime_s} s\njobs     ${jobs}\nhives    ${hives}`;
    }, queen);
  }
}
