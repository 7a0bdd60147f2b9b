import { Command, Option, UsageError } from "clipanion";
import * as t from "typanion";
import { JobCommand } from "../job-command.ts";
import { hiveOption } from "../hive-option.ts";

export class ModelCreateDemoCommand extends JobCommand {
  static paths = [["model", "create-demo"]];
  static usage = Command.Usage({
    category: "Models",
    description: "create the demo model demo-tiny, or another one (no internet needed; it produces gibberish)",
    details: `
      Writes a tiny llama-architecture GGUF with seeded random weights and registers it as
      \`demo-tiny\`. It loads and generates for real, so every part of rbee can be tried offline,
      but its text is meaningless. For a real model: \`rbee model download hf:ORG/REPO\`.

      \`--name N\` registers another demo model with the id N, its weights drawn from \`--seed\`
      (default 42; another seed, other weights): two distinct models to try swapping with.
    `,
    examples: [
      ["Create the demo model", "$0 model create-demo"],
      ["A second, distinct demo model", "$0 model create-demo --name demo-b --seed 7"],
    ],
  });

  hive = hiveOption();
  name = Option.String("--name", { description: "id of another demo model (lowercase letters, digits, '.', '_', '-'); default: demo-tiny" });
  seed = Option.String("--seed", { description: "seed of its random weights (with --name; default 42)", validator: t.isNumber() });

  run(): Promise<number> {
    if (this.seed !== undefined && this.name === undefined) throw new UsageError("--seed goes with --name (demo-tiny always has the same weights)");
    if (this.seed !== undefined && (!Number.isInteger(this.seed) || this.seed < 0 || this.seed > 0xffff_ffff)) throw new UsageError("--seed must be a whole number from 0 to 4294967295");
    const model = this.name === undefined ? "demo:tiny" : `demo:${this.name}:${this.seed ?? 42}`;
    return this.follow({ operation: "model_download", hive_id: this.hive, model }, (r) => `${(r as { id: string }).id} is ready`);
  }
}
