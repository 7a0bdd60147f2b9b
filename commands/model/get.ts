import { Command, Option } from "clipanion";
import { formatRecord } from "../../src/keeper/table.ts";
import { QueenCommand } from "../queen-command.ts";
import { hiveOption } from "../hive-option.ts";

export class ModelGetCommand extends QueenCommand {
  static paths = [["model", "get"]];
  static usage = Command.Usage({
    category: "Models",
    description: "show one model: source, file, architecture, parameters, context, quantization",
    examples: [["Show the demo model", "$0 model get demo-tiny"]],
  });

  hive = hiveOption();
  id = Option.String({ name: "model-id" });

  run(): Promise<number> {
    return this.query({ operation: "model_get", hive_id: this.hive, model: this.id }, (r) => formatRecord(r as Record<string, unknown>));
  }
}
