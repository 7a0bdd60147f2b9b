import { Command, Option } from "clipanion";
import * as t from "typanion";
import type { WorkerInfo } from "../../src/hive/worker-process.ts";
import { QueenCommand } from "../queen-command.ts";
import { hiveOption } from "../hive-option.ts";

export class WorkerSpawnCommand extends QueenCommand {
  static paths = [["worker", "spawn"]];
  static usage = Command.Usage({
    category: "Workers",
    description: "start a worker with a model loaded, on a hive and device",
    details: "The hive starts `rbee worker serve`, narrates spawn → loading → ready, and restarts it with backoff if it crashes.",
    examples: [
      ["Load the demo model on the local CPU", "$0 worker spawn --model demo-tiny"],
      ["On hive gpu1, GPU 0, 4 parallel slots", "$0 worker spawn --model tinyllama --hive gpu1 --device cuda:0 --slots 4"],
      ["With 8192 tokens of context per slot", "$0 worker spawn --model tinyllama --ctx 8192"],
    ],
  });

  hive = hiveOption();
  model = Option.String("--model,-m", { required: true, description: "model id (see `rbee model list`)" });
  device = Option.String("--device", "cpu:0", { description: "cpu:N, cuda:N or metal:N (default cpu:0)" });
  slots = Option.String("--slots", "1", { description: "requests it generates at once (default 1)", validator: t.isNumber() });

  ctx = Option.String("--ctx", { description: "context tokens per slot (default: the model's training context, at most 4096)", validator: t.isNumber() });

  run(): Promise<number> {
    return this.follow({ operation: "worker_spawn", hive_id: this.hive, model: this.model, device: this.device, slots: this.slots, ...(this.ctx !== undefined ? { ctx: this.ctx } : {}) }, (r) => {
      const w = r as WorkerInfo;
      return `${w.worker_id} ready: ${w.model} on ${w.device}, port ${w.port}, pid ${w.pid}`;
    });
  }
}
