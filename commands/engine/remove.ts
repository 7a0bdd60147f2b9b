import { Command, Option } from "clipanion";
import * as t from "typanion";
import { QueenCommand } from "../queen-command.ts";
import { hiveOption } from "../hive-option.ts";

export class EngineRemoveCommand extends QueenCommand {
  static paths = [["engine", "remove"]];
  static usage = Command.Usage({
    category: "Engines",
    description: "remove a GPU engine from a hive (running workers keep theirs until they stop)",
    examples: [["Remove the Vulkan engine", "$0 engine remove vulkan"]],
  });

  hive = hiveOption();
  backend = Option.String({ name: "backend", validator: t.isEnum(["vulkan", "cuda", "metal"] as const) });

  run(): Promise<number> {
    return this.follow({ operation: "engine_remove", hive_id: this.hive, backend: this.backend }, (r) => `removed ${(r as { removed: string[] }).removed.join(", ")}`);
  }
}
