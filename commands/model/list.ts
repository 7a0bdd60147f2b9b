import { Command } from "clipanion";
import type { ModelRecord } from "../../src/model/model-record.ts";
import { formatBytes, formatTable } from "../../src/keeper/table.ts";
import { QueenCommand } from "../queen-command.ts";
import { hiveOption } from "../hive-option.ts";

export class ModelListCommand extends QueenCommand {
  static paths = [["model", "list"], ["models"]];
  static usage = Command.Usage({
    category: "Models",
    description: "list the models on a hive",
    examples: [["List models", "$0 model list"], ["As NDJSON", "$0 model list --json"]],
  });

  hive = hiveOption();

  run(): Promise<number> {
    return this.query({ operation: "model_list", hive_id: this.hive }, (r) => {
      const models = r as ModelRecord[];
      if (!models.length) return "no models (try `rbee model create-demo`)";
      return formatTable(
        ["MODEL", "ARCH", "PARAMS", "QUANT", "SIZE", "CONTEXT"],
        models.map((m) => [m.id, m.architecture, formatParams(m.parameters), m.quantization, formatBytes(m.size_bytes), m.context_length ?? ""]),
      );
    });
  }
}

export function formatParams(n: number): string {
  return n >= 1e9 ? `${(n / 1e9).toFixed(1)}B` : n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(0)}K` : String(n);
}
