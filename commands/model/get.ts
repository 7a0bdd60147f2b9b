import { Command, Option } from "clipanion";
import { formatBytes, formatRecord } from "../../src/keeper/table.ts";
import type { ModelRecord } from "../../src/model/model-record.ts";
import { QueenCommand } from "../queen-command.ts";
import { hiveOption } from "../hive-option.ts";

export class ModelGetCommand extends QueenCommand {
  static paths = [["model", "get"]];
  static usage = Command.Usage({
    category: "Models",
    description: "show one model: source, files (shards, vision projector), architecture, parameters, context, quantization",
    examples: [["Show the demo model", "$0 model get demo-tiny"]],
  });

  hive = hiveOption();
  id = Option.String({ name: "model-id" });

  run(): Promise<number> {
    return this.query({ operation: "model_get", hive_id: this.hive, model: this.id }, (r) => {
      const { files, ...rest } = r as ModelRecord;
      // One line per model, not a JSON blob: the files by name and size (shards, projector).
      return formatRecord({ ...rest, ...(files ? { files: files.map((f) => `${f.name} (${formatBytes(f.size_bytes)})`).join(", ") } : {}) });
    });
  }
}
