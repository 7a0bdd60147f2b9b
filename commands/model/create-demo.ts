import { Command } from "clipanion";
import { JobCommand } from "../job-command.ts";
import { hiveOption } from "../hive-option.ts";

export class ModelCreateDemoCommand extends JobCommand {
  static paths = [["model", "create-demo"]];
  static usage = Command.Usage({
    category: "Models",
    description: "create the demo model demo-tiny (no internet needed; it produces gibberish)",
    details: `
      Writes a tiny llama-architecture GGUF with seeded random weights and registers it as
      \`demo-tiny\`. It loads and generates for real, so every part of rbee can be tried offline,
      but its text is meaningless. For a real model: \`rbee model download hf:ORG/REPO\`.
    `,
    examples: [["Create the demo model", "$0 model create-demo"]],
  });

  hive = hiveOption();

  run(): Promise<number> {
    return this.follow({ operation: "model_download", hive_id: this.hive, model: "demo:tiny" }, (r) => `${(r as { id: string }).id} is ready`);
  }
}
