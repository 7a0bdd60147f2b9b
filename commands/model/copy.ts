import { Command, Option } from "clipanion";
import type { ModelRecord } from "../../src/model/model-record.ts";
import { formatBytes } from "../../src/keeper/table.ts";
import { JobCommand } from "../job-command.ts";

export class ModelCopyCommand extends JobCommand {
  static paths = [["model", "copy"]];
  static usage = Command.Usage({
    category: "Models",
    description: "copy a model from the hive that has it to other hives (download once, share on the lab's network)",
    details: `
      The queen reads the model's files from the hive that has it and streams them to each target
      hive, which checks every file's sha256 against the source's before the model is listed. A copy
      that is cut off resumes from the bytes already there when run again. No hive is given another
      hive's token: the target reads through the queen with a ticket good for this copy only.
    `,
    examples: [
      ["Copy a model to hive gpu2", "$0 model copy qwen2.5-7b-instruct-q4_k_m --to-hive gpu2"],
      ["Copy it to every other online hive", "$0 model copy demo-tiny --to-hive all"],
    ],
  });

  to = Option.String("--to-hive", { required: true, description: "the hive to copy to, or `all` for every other online hive" });
  from = Option.String("--from-hive", { description: "the hive to copy from (default: an online hive that has the model)" });
  id = Option.String({ name: "model-id" });

  async run(): Promise<number> {
    return this.follow({ operation: "model_copy", model: this.id, to_hive: this.to, ...(this.from ? { from_hive: this.from } : {}) }, (r) =>
      (r as (ModelRecord & { hive_id: string })[]).map((m) => `${m.id} on hive ${m.hive_id}  ${formatBytes(m.size_bytes)}  sha256 ${m.sha256}`).join("\n"),
    );
  }
}
