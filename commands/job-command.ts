import { Option } from "clipanion";
import type { DaemonClient } from "../src/keeper/daemon-client.ts";
import type { Operation } from "../src/protocol/operations.ts";
import { QueenCommand } from "./queen-command.ts";

/**
 * A command that does work as a job on the queen and follows it. `--detach` submits it,
 * prints its id and exits 0, leaving the job running; otherwise Ctrl-C, SIGTERM and
 * SIGHUP cancel the job on the queen (exit 130, 143, 129).
 */
export abstract class JobCommand extends QueenCommand {
  detach = Option.Boolean("--detach", false, { description: "submit the job, print its id and exit, leaving it running (follow it with `rbee jobs logs ID`)" });

  override async follow(op: Operation, formatResult?: (result: unknown) => string, client?: DaemonClient): Promise<number> {
    if (!this.detach) return super.follow(op, formatResult, client);
    const queen = client ?? (await this.ensureQueen());
    const created = await queen.submit(op);
    if (this.json) this.print(JSON.stringify(created));
    else {
      this.print(created.job_id);
      this.context.stderr.write(`submitted ${created.job_id}; follow it with \`rbee jobs logs ${created.job_id}\`, cancel it with \`rbee jobs cancel ${created.job_id}\`\n`);
    }
    return 0;
  }
}
