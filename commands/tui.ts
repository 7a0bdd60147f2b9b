import { Command, Option } from "clipanion";
import { formatError } from "../src/keeper/error-output.ts";
import { RbeeError } from "../src/protocol/errors.ts";
import { autostartQueen, resolveQueenUrl } from "./queen-connection.ts";
import { RbeeCommand } from "./rbee-command.ts";

export class TuiCommand extends RbeeCommand {
  static paths = [["tui"], Command.Default];
  static usage = Command.Usage({
    description: "open the live dashboard (also what plain `rbee` does on a terminal)",
    details: `
      A k9s-style view of the queen: hives, workers, models and jobs (keys 1-4 or tab), with a
      live pane per running job showing its story and streamed tokens. Keys are listed at the
      bottom; \`?\` shows them all. Cancelling a job or stopping a worker asks first.

      It needs a terminal. Without one (piped or redirected) it prints a short status instead
      and exits 1; \`rbee status\` is the scriptable form. With no queen on a local URL it starts
      one in the background first (RBEE_NO_AUTOSTART=1 turns that off). When the queen goes
      away later the header says disconnected and the dashboard keeps trying to reach it.
    `,
    examples: [
      ["Open the dashboard", "$0"],
      ["Watch another queen", "$0 tui --queen-url http://192.168.1.10:7833"],
    ],
  });

  queenUrl = Option.String("--queen-url", { description: "the queen to watch (default: RBEE_QUEEN_URL, else http://127.0.0.1:7833)" });

  async run(): Promise<number> {
    const url = resolveQueenUrl(this.queenUrl);
    const { stdin, stdout, stderr } = this.context as unknown as { stdin: NodeJS.ReadStream; stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream };
    // The UI modules load only here: every other command starts without ink and react.
    if (!stdin.isTTY || !stdout.isTTY) {
      const [{ statusSummary }, { queenApi }] = await Promise.all([import("../tui/status-summary.ts"), import("../tui/queen-api.ts")]);
      stderr.write("the dashboard needs a terminal; try `rbee status` (or `rbee --help`)\n");
      stdout.write(`${(await statusSummary(queenApi(url))).text}\n`);
      return 1;
    }
    await this.startQueenIfNone(url);
    const { runDashboard } = await import("../tui/run-dashboard.tsx");
    return runDashboard(url, { stdin, stdout, stderr });
  }

  /**
   * As every keeper command does: no queen on a loopback URL → start one in the background
   * and say so (the line stays on the screen after the dashboard closes). Later outages are
   * only shown and retried: the user may have stopped the queen on purpose.
   */
  private async startQueenIfNone(url: string): Promise<void> {
    try {
      await autostartQueen(url, this.context.stderr);
    } catch (err) {
      // The dashboard still opens: it shows the queen as disconnected and keeps trying.
      this.context.stderr.write(formatError(RbeeError.from(err)));
    }
  }
}
