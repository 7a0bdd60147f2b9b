import { Command, Option } from "clipanion";
import { queenUrl } from "../src/keeper/queen-url.ts";
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
      and exits 1; \`rbee status\` is the scriptable form. When the queen goes away the header
      says disconnected and the dashboard keeps trying to reach it.
    `,
    examples: [
      ["Open the dashboard", "$0"],
      ["Watch another queen", "$0 tui --queen-url http://192.168.1.10:7833"],
    ],
  });

  queenUrl = Option.String("--queen-url", { description: "the queen to watch (default: RBEE_QUEEN_URL, else http://127.0.0.1:7833)" });

  async run(): Promise<number> {
    const url = queenUrl(this.queenUrl);
    const { stdin, stdout, stderr } = this.context as unknown as { stdin: NodeJS.ReadStream; stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream };
    // The UI modules load only here: every other command starts without ink and react.
    if (!stdin.isTTY || !stdout.isTTY) {
      const [{ statusSummary }, { queenApi }] = await Promise.all([import("../tui/status-summary.ts"), import("../tui/queen-api.ts")]);
      stderr.write("the dashboard needs a terminal; try `rbee status` (or `rbee --help`)\n");
      stdout.write(`${(await statusSummary(queenApi(url))).text}\n`);
      return 1;
    }
    const { runDashboard } = await import("../tui/run-dashboard.tsx");
    return runDashboard(url, { stdin, stdout, stderr });
  }
}
