import { Command, Option } from "clipanion";
import type { ModelRecord } from "../../src/model/model-record.ts";
import { resolveSourceArg } from "../../src/keeper/local-source.ts";
import { formatBytes } from "../../src/keeper/table.ts";
import { uploadPath } from "../../src/protocol/model-upload.ts";
import { JobCommand } from "../job-command.ts";
import { hiveOption } from "../hive-option.ts";

export class ModelDownloadCommand extends JobCommand {
  static paths = [["model", "download"]];
  static usage = Command.Usage({
    category: "Models",
    description: "download a GGUF model onto a hive (a progress bar shows on a terminal)",
    details: `
      Sources: \`hf:ORG/REPO\` (Hugging Face; Q4_K_M, else a sensible quantization is picked),
      \`hf:ORG/REPO:QUANT\` (Q5_K_M, Q8_0 …, any case), \`hf:ORG/REPO:FILE.gguf\`,
      an \`https://…/FILE.gguf\` URL, a local file (a path taken from the folder you run rbee in:
      the keeper uploads it to the hive, local or remote), a file already in the hive's model
      folders (its import folder \`<data>/import\`, where a bare file name points, and the folders
      in RBEE_MODEL_FOLDERS or \`model_folders\` in config.json), or \`demo:tiny\` (the built-in
      demo model, made locally with random weights: it runs, but produces gibberish).

      A sharded model (NAME-00001-of-0000N.gguf) downloads as one model, and a vision projector
      (mmproj) in the repo is kept beside its model. HF_ENDPOINT on the hive sets the Hugging Face
      base URL; HF_TOKEN there opens gated repos (accept their terms on huggingface.co first).

      Downloads resume after an interruption; a model already present is not fetched again.
    `,
    examples: [
      ["The demo model", "$0 model download demo:tiny"],
      ["From Hugging Face", "$0 model download hf:TheBloke/TinyLlama-1.1B-Chat-v1.0-GGUF"],
      ["A given quantization", "$0 model download hf:bartowski/Qwen2.5-7B-Instruct-GGUF:Q5_K_M"],
      ["A given file onto hive gpu1", "$0 model download hf:ORG/REPO:model.Q4_0.gguf --hive gpu1"],
    ],
  });

  hive = hiveOption();
  source = Option.String({ name: "source" });

  async run(): Promise<number> {
    const model = await resolveSourceArg(this.source, async (path, name) => {
      const queen = await this.ensureQueen();
      this.context.stderr.write(`uploading ${path} (${formatBytes(Bun.file(path).size)}) to hive ${this.hive} …\n`);
      await queen.request("PUT", uploadPath(this.hive, name), Bun.file(path));
    });
    return this.follow({ operation: "model_download", hive_id: this.hive, model }, (r) => {
      const m = r as ModelRecord;
      return `${m.id}  ${m.architecture}  ${formatBytes(m.size_bytes)}  ${m.quantization}\n${m.path}`;
    });
  }
}
