import { Command, Option } from "clipanion";
import * as t from "typanion";
import type { WorkerInfo } from "../../src/hive/worker-process.ts";
import { DEFAULT_WORKER_SLOTS } from "../../src/protocol/operations.ts";
import { JobCommand } from "../job-command.ts";
import { hiveOption } from "../hive-option.ts";
import { RESTART_MODES } from "../../src/hive/restart-policy.ts";

export class WorkerSpawnCommand extends JobCommand {
  static paths = [["worker", "spawn"]];
  static usage = Command.Usage({
    category: "Workers",
    description: "start a worker with a model loaded, on a hive and device",
    details: "The hive starts `rbee worker serve`, narrates spawn → loading → ready, and restarts it with backoff if it crashes, is killed or hangs (`--restart` changes that).",
    examples: [
      ["Load the demo model on the local CPU", "$0 worker spawn --model demo-tiny"],
      ["On hive gpu1, GPU 0, 4 parallel slots", "$0 worker spawn --model tinyllama --hive gpu1 --device cuda:0 --slots 4"],
      ["A worker that stays down when it dies", "$0 worker spawn --model demo-tiny --restart never"],
    ],
  });

  hive = hiveOption();
  model = Option.String("--model,-m", { required: true, description: "model id (see `rbee model list`)" });
  device = Option.String("--device", "cpu:0", { description: "cpu:N, cuda:N or metal:N (default cpu:0)" });
  slots = Option.String("--slots", String(DEFAULT_WORKER_SLOTS), { description: `requests it generates at once (default ${DEFAULT_WORKER_SLOTS}, as for the workers the queen starts on demand)`, validator: t.isNumber() });
  restart = Option.String("--restart", "on-failure", {
    description: "when it comes back: on-failure (a crash, a kill or a hang; the default), always (any exit it was not asked for), never",
    validator: t.isEnum(RESTART_MODES),
  });

  run(): Promise<number> {
    return this.follow({ operation: "worker_spawn", hive_id: this.hive, model: this.model, device: this.device, slots: this.slots, restart: this.restart }, (r) => {
      const w = r as WorkerInfo;
      return `${w.worker_id} ready: ${w.model} on ${w.device}, port ${w.port}, pid ${w.pid}`;
    });
  }
}
