import { Command, Option } from "clipanion";
import type { WorkerInfo } from "../../src/hive/worker-process.ts";
import { formatBytes, formatTable } from "../../src/keeper/table.ts";
import { QueenCommand } from "../queen-command.ts";
import { idleOf, unloadsOf } from "../../src/keeper/worker-idle.ts";

export class WorkerListCommand extends QueenCommand {
  static paths = [["worker", "list"], ["workers"]];
  static usage = Command.Usage({
    category: "Workers",
    description: "list workers on every online hive (or one hive)",
    examples: [["All workers", "$0 worker list"], ["As NDJSON", "$0 worker list --json"]],
  });

  hive = Option.String("--hive", { description: "only this hive" });

  run(): Promise<number> {
    return this.query({ operation: "worker_list", ...(this.hive ? { hive_id: this.hive } : {}) }, (r) => formatWorkers(r as WorkerInfo[]));
  }
}

export function formatWorkers(workers: WorkerInfo[]): string {
  if (!workers.length) return "no workers (start one with `rbee worker spawn --model ID`)";
  return formatTable(
    ["WORKER", "HIVE", "MODEL", "DEVICE", "LAYERS", "DEV MEM", "STATE", "SLOTS", "CTX", "IDLE", "UNLOADS", "PID", "PORT", "RSS", "UPTIME", "RESTARTS"],
    workers.map((w) => [w.worker_id, w.hive_id, w.model, w.device, w.layers_total !== undefined ? `${w.layers_offloaded}/${w.layers_total}` : "", formatBytes(w.device_memory_bytes), w.state, `${w.busy}/${w.slots}`, w.context_size ?? "", idleOf(w), unloadsOf(w), w.pid, w.port, formatBytes(w.rss_bytes), w.uptime_s !== undefined ? `${w.uptime_s}s` : "", w.restarts]),
  );
}
