import { Command, Option } from "clipanion";
import * as t from "typanion";
import type { WorkerInfo } from "../../src/hive/worker-process.ts";
import { DEFAULT_WORKER_SLOTS } from "../../src/protocol/operations.ts";
import { JobCommand } from "../job-command.ts";
import { hiveOption } from "../hive-option.ts";
import { RESTART_MODES } from "../../src/hive/restart-policy.ts";
import { parseGpuLayers } from "../gpu-layers-option.ts";
import { describeOffload, type Offload } from "../../src/engine/offload.ts";
import { CHAT_TEMPLATES, chatTemplateNamed } from "../../src/config/model-config.ts";

export class WorkerSpawnCommand extends JobCommand {
  static paths = [["worker", "spawn"]];
  static usage = Command.Usage({
    category: "Workers",
    description: "start a worker with a model loaded, on a hive and device",
    details: "The hive estimates the memory the model needs, picks or checks the device (refusing one that does not exist, lacks its engine or cannot hold the model, before any process starts), starts `rbee worker serve` pinned to that device, narrates spawn → loading → ready with the layers offloaded, and restarts it with backoff if it crashes, is killed or hangs (`--restart` changes that).",
    examples: [
      ["Load the demo model on the local CPU", "$0 worker spawn --model demo-tiny"],
      ["On hive gpu1, GPU 0, 4 parallel slots", "$0 worker spawn --model tinyllama --hive gpu1 --device cuda:0 --slots 4"],
      ["On a software Vulkan device (named explicitly)", "$0 worker spawn --model demo-tiny --device vulkan:0"],
      ["A worker that stays down when it dies", "$0 worker spawn --model demo-tiny --restart never"],
      ["With 8192 tokens of context per slot", "$0 worker spawn --model tinyllama --ctx 8192"],
      ["A worker that unloads after 10 idle minutes", "$0 worker spawn --model demo-tiny --keep-alive 10m"],
    ],
  });

  hive = hiveOption();
  model = Option.String("--model,-m", { required: true, description: "model id (see `rbee model list`)" });
  device = Option.String("--device", "auto", { description: "auto (default: a GPU that holds the model, else the CPU; never a software device), cpu:0, cuda:N, vulkan:N or metal:0" });
  gpuLayers = Option.String("--gpu-layers", { description: "layers to offload on a GPU: auto (what fits, default), max or a number" });
  slots = Option.String("--slots", String(DEFAULT_WORKER_SLOTS), { description: `requests it generates at once (default ${DEFAULT_WORKER_SLOTS}, as for the workers the queen starts on demand)`, validator: t.isNumber() });
  restart = Option.String("--restart", "on-failure", {
    description: "when it comes back: on-failure (a crash, a kill or a hang; the default), always (any exit it was not asked for), never",
    validator: t.isEnum(RESTART_MODES),
  });

  keepAlive = Option.String("--keep-alive", { description: "unload it after this long idle (5m, 30s, 0, -1); default: it stays until stopped" });
  ctx = Option.String("--ctx", { description: "context tokens per slot (default: the model's `context` in models.json, else its training context when memory allows, else less)", validator: t.isNumber() });
  chatTemplate = Option.String("--chat-template", { description: `chat wrapper by name instead of the model's own (default: models.json's chat_template): ${CHAT_TEMPLATES.join(", ")}` });

  run(): Promise<number> {
    return this.follow({ operation: "worker_spawn", hive_id: this.hive, model: this.model, device: this.device, slots: this.slots, restart: this.restart, ...(this.gpuLayers !== undefined ? { gpu_layers: parseGpuLayers(this.gpuLayers) } : {}), ...(this.ctx !== undefined ? { ctx: this.ctx } : {}), ...(this.chatTemplate !== undefined ? { chat_template: chatTemplateNamed(this.chatTemplate) } : {}), ...(this.keepAlive !== undefined ? { keep_alive: this.keepAlive } : {}) }, (r) => {
      const w = r as WorkerInfo;
      const where = w.backend ? `; ${describeOffload(w as Offload)}` : "";
      return `${w.worker_id} ready: ${w.model} on ${w.device}, port ${w.port}, pid ${w.pid}, ${w.context_size} tokens of context per slot${where}`;
    });
  }
}
