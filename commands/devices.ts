import { Command, Option } from "clipanion";
import type { Device } from "../src/engine/devices.ts";
import { formatBytes, formatTable } from "../src/keeper/table.ts";
import { QueenCommand } from "./queen-command.ts";

export class DevicesCommand extends QueenCommand {
  static paths = [["devices"], ["device", "list"]];
  static usage = Command.Usage({
    category: "Engines",
    description: "list the devices of every online hive: id, name, memory total and free, software or not",
    details: `
      \`cpu:0\` (cores, RAM) on every hive; \`cuda:N\` from nvidia-smi; \`vulkan:N\` through the
      installed Vulkan engine (one short probe process per device); \`metal:0\` on Apple silicon.
      A software device (Mesa's llvmpipe) is listed and marked: a worker runs there only when
      it is named (\`--device vulkan:0\`), never with \`--device auto\`.
    `,
    examples: [["Every device", "$0 devices"], ["As NDJSON", "$0 devices --json"]],
  });

  hive = Option.String("--hive", { description: "only this hive" });

  run(): Promise<number> {
    return this.query({ operation: "device_list", ...(this.hive ? { hive_id: this.hive } : {}) }, (r) => formatDevices(r as (Device & { hive_id: string })[]));
  }
}

export function formatDevices(rows: (Device & { hive_id: string })[]): string {
  return formatTable(
    ["HIVE", "DEVICE", "NAME", "TOTAL", "FREE", "SOFTWARE", "ENGINE"],
    rows.map((d) => [d.hive_id, d.id, d.cores ? `${d.name} (${d.cores} cores)` : d.name, formatBytes(d.memory_total_bytes), formatBytes(d.memory_free_bytes), d.software ? "yes" : "no", d.engine]),
  );
}
