import { render } from "ink";
import { App } from "./app.tsx";
import { queenApi } from "./queen-api.ts";
import { DashboardStore } from "./store.ts";

export interface DashboardStreams {
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

/**
 * Opens the dashboard on a terminal until the user quits (q or Ctrl-C); returns the exit
 * code. It draws on the alternate screen, so the shell's screen comes back afterwards.
 */
export async function runDashboard(queenUrl: string, streams: DashboardStreams): Promise<number> {
  const store = new DashboardStore(queenApi(queenUrl));
  store.start();
  const app = render(<App store={store} />, {
    stdin: streams.stdin,
    stdout: streams.stdout,
    stderr: streams.stderr,
    alternateScreen: true,
    // We checked for a terminal already; CI detection must not turn the dashboard off.
    interactive: true,
    exitOnCtrlC: true,
    patchConsole: true,
  });
  try {
    await app.waitUntilExit();
    return 0;
  } finally {
    store.stop();
  }
}
