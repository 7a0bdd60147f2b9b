import { Command, Option } from "clipanion";
import { JobCommand } from "../job-command.ts";
import { hiveOption } from "../hive-option.ts";

export class ModelDeleteCommand extends JobCommand {
  static paths = [["model", "delete"]];
  static usage = Command.Usage({
    category: "Models",
    description: "delete a model's file and catalog entry (refused while a worker uses it)",
    examples: [["Delete a model", "$0 model delete demo-tiny"]],
  });

  hive = hiveOption();
  id = Option.String({ name: "model-id" });

  async run(): Promise<number> {
    return this.follow({ operation: "model_delete", hive_id: this.hive, model: this.id }, (r) => `deleted ${(r as { id: string }).id}`, await this.runningQueen());
  }
}
