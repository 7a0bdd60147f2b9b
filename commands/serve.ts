import { Command, Option, UsageError } from "clipanion";
import * as t from "typanion";
import { setLogWriter } from "../src/narration/log-sink.ts";
import { setNarrationActor } from "../src/narration/narrate.ts";
import { hostname } from "node:os";
import { RbeeCommand } from "./rbee-command.ts";

export class ServeCommand extends RbeeCommand {
  static paths = [["serve"]];
  static usage = Command.Usage({
    description: "run the queen (with an embedded local hive) in the foreground",
    details: `
      Runs the job API over HTTP/SSE until stopped (Ctrl-C, SIGTERM or \`POST /v1/shutdown\`).
      Plain \`rbee serve\` is the queen with the local hive \`localhost\` embedded: one process for a
      single machine. \`--role hive\` runs a hive alone, as remote machines do.

      Daemons listen on 127.0.0.1 unless \`--bind\` says otherwise; a non-loopback address needs
      an API token (RBEE_API_TOKEN). State lives under RBEE_HOME when set, XDG folders otherwise.
    `,
    examples: [
      ["Run the queen on the default port 7833", "$0 serve"],
      ["Run on another port", "$0 serve --port 9000"],
      ["Declare a worker hung after 10 s without a token", "$0 serve --worker-stall-timeout 10s"],
      ["Unload workers started on demand after 30 s idle; at most 2 loaded", "$0 serve --keep-alive 30s --max-loaded 2"],
      ["Run a hive that reports to a queen", "$0 serve --role hive --hive-id gpu1 --queen-url http://192.168.1.10:7833"],
    ],
  });

  port = Option.String("--port", { description: "port to listen on (queen 7833, hive 7835)", validator: t.isNumber() });
  bind = Option.String("--bind", "127.0.0.1", { description: "address to listen on" });
  role = Option.String("--role", "queen", { description: "queen (default) or hive" });
  hiveId = Option.String("--hive-id", { description: "this hive's name (with --role hive; default: the host name)" });
  queenUrl = Option.String("--queen-url", { description: "the queen a hive registers with and sends heartbeats to" });
  noLocalHive = Option.Boolean("--no-local-hive", false, { description: "run the queen without its embedded hive (then `rbee hive start --host localhost` runs one beside it)" });
  advertiseUrl = Option.String("--advertise-url", { description: "the URL the queen should use to reach this hive (default: from --bind and --port)" });
  maxQueue = Option.String("--max-queue", { description: "queen: inference requests that may wait for a free slot before new ones get 503 (default 64; 0: none wait, a free slot still serves)", validator: t.isNumber() });
  pruneHivesAfter = Option.String("--prune-hives-after", { description: "queen: seconds an offline hive stays in `rbee hive list` before it is dropped (default 3600; 0 keeps it)", validator: t.isNumber() });
  workerStallTimeout = Option.String("--worker-stall-timeout", {
    description: "a worker that sends nothing this long mid-request is declared hung, killed and restarted by its policy (default 30s; RBEE_WORKER_STALL_TIMEOUT)",
  });
  downloadStallTimeout = Option.String("--download-stall-timeout", {
    description: "a model download that receives nothing this long retries, resuming (default 30s; RBEE_DOWNLOAD_STALL_TIMEOUT)",
  });
  corsOrigins = Option.Array("--cors-origin", { description: "queen: a browser origin allowed to call its APIs (repeatable; \"*\" for any; default RBEE_CORS_ORIGINS or cors_origins in config.json, else none)" });
  keepAlive = Option.String("--keep-alive", {
    description: "how long a worker started on demand stays loaded once idle (default 5m; 0: unload right after the request; -1: never); a request's or model's keep_alive wins",
  });
  maxLoaded = Option.String("--max-loaded", { description: "at most this many workers loaded on this hive: a worker started on demand first unloads the least recently used idle one (default: no cap, memory decides)", validator: t.isNumber() });
  workerSlots = Option.String("--worker-slots", { description: "queen: parallel slots of the workers it starts on demand (default 4)", validator: t.isNumber() });

  standbyWorker = Option.Boolean("--standby-worker", true, {
    description: "keep one CPU worker process ready with its engine started, so the first request for a model starts ~1 s sooner (an idle process of ~100 MiB; --no-standby-worker or RBEE_STANDBY_WORKER=0 turns it off)",
  });

  async run(): Promise<number> {
    if (this.role !== "queen" && this.role !== "hive") throw new UsageError(`--role must be queen or hive, not ${this.role}`);
    setNarrationActor(this.role);
    setLogWriter((line) => process.stdout.write(`${line}\n`));
    if (this.role === "queen" && this.hiveId) throw new UsageError("--hive-id goes with --role hive");
    if (this.maxQueue !== undefined && (!Number.isInteger(this.maxQueue) || this.maxQueue < 0)) throw new UsageError("--max-queue must be a whole number ≥ 0");
    if (this.workerSlots !== undefined && (!Number.isInteger(this.workerSlots) || this.workerSlots < 1 || this.workerSlots > 64)) throw new UsageError("--worker-slots must be a whole number from 1 to 64");
    if (this.pruneHivesAfter !== undefined && !(this.pruneHivesAfter >= 0)) throw new UsageError("--prune-hives-after must be a number of seconds ≥ 0");
    if (this.maxLoaded !== undefined && (!Number.isInteger(this.maxLoaded) || this.maxLoaded < 1)) throw new UsageError("--max-loaded must be a whole number ≥ 1");
    if (this.role === "queen" && this.noLocalHive && (this.keepAlive !== undefined || this.maxLoaded !== undefined)) throw new UsageError("--keep-alive and --max-loaded set the local hive's workers: drop --no-local-hive, or give them to `rbee serve --role hive`");
    const scheduler = { ...(this.maxQueue !== undefined ? { maxQueue: this.maxQueue } : {}), ...(this.workerSlots !== undefined ? { spawnSlots: this.workerSlots } : {}) };
    const { stallTimeouts, bodyTimeoutMs, parseKeepAlive } = await import("../src/config/timeouts.ts");
    let timeouts;
    let pool;
    try {
      timeouts = stallTimeouts({ worker: this.workerStallTimeout, download: this.downloadStallTimeout });
      pool = { ...(this.keepAlive !== undefined ? { keepAliveMs: parseKeepAlive(this.keepAlive, "--keep-alive") } : {}), ...(this.maxLoaded !== undefined ? { maxLoaded: this.maxLoaded } : {}) };
      bodyTimeoutMs();
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    // Loaded on use: the daemons' code stays out of the keeper commands' start-up.
    const { startHiveDaemon } = await import("../src/hive/start-hive.ts");
    const { startQueen } = await import("../src/queen/start-queen.ts");
    const standbyWorker = this.standbyWorker && process.env.RBEE_STANDBY_WORKER !== "0";
    const daemon =
      this.role === "hive"
        ? startHiveDaemon({ port: this.port ?? 7835, bind: this.bind, hiveId: this.hiveId ?? hostname(), queenUrl: this.queenUrl, advertiseUrl: this.advertiseUrl, timeouts, pool, standbyWorker })
        : startQueen({ port: this.port ?? 7833, bind: this.bind, embedHive: !this.noLocalHive, scheduler, timeouts, pool, standbyWorker, corsOrigins: this.corsOrigins, ...(this.pruneHivesAfter !== undefined ? { pruneHivesAfterMs: this.pruneHivesAfter * 1000 } : {}) });
    const onSignal = () => void daemon.stop();
    // `on`, not `once`: signal-exit (loaded by execa) re-raises a signal with no listener left.
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    await daemon.stopped;
    return 0;
  }
}
