import { createInterface } from "node:readline";
import { setLogWriter } from "../../src/narration/log-sink.ts";
import { setNarrationActor } from "../../src/narration/narrate.ts";
import { RbeeCommand } from "../rbee-command.ts";
import { allowPoolThreadHold } from "../../src/engine/one-openmp-team.ts";

/**
 * A worker waiting for its model (started by a hive, not by people, so not in --help): it
 * starts the CPU engine at once, says `{"event":"standby"}` on stdout, then reads one JSON
 * line on stdin, `{"argv": [...worker serve options], "token": "..."}`, and becomes that
 * `rbee worker serve`. The engine start (~1 s) is then already paid when a request needs a worker.
 */
export class WorkerStandbyCommand extends RbeeCommand {
  static paths = [["worker", "standby"]];

  async run(): Promise<number> {
    setNarrationActor("worker");
    allowPoolThreadHold();
    setLogWriter((line) => process.stderr.write(`${line}\n`));
    const parent = process.ppid;
    // A hive that dies takes its standby with it, as it would a worker.
    const orphanWatch = setInterval(() => process.ppid !== parent && process.exit(0), 500);
    const [{ warmEngine }] = await Promise.all([import("../../src/worker/model-loader.ts"), import("../../src/worker/server.ts")]);
    await warmEngine("cpu");
    this.context.stdout.write(`${JSON.stringify({ event: "standby" })}\n`);
    const line = await firstLine();
    clearInterval(orphanWatch);
    if (line === undefined) return 0;
    const order = JSON.parse(line) as { argv: string[]; token: string };
    process.env.RBEE_API_TOKEN = order.token;
    return this.cli.run(["worker", "serve", ...order.argv]);
  }
}

/** The first line on stdin, or undefined when the hive closes it without one (a stop). */
function firstLine(): Promise<string | undefined> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin });
    rl.once("line", (line) => {
      resolve(line); // before close(), which emits "close" at once
      rl.close();
    });
    rl.once("close", () => resolve(undefined));
  });
}
