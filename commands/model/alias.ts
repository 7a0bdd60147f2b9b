import { Command, Option, UsageError } from "clipanion";
import { formatTable } from "../../src/keeper/table.ts";
import { JobCommand } from "../job-command.ts";

type AliasRow = { alias: string; model: string };

export class ModelAliasCommand extends JobCommand {
  static paths = [["model", "alias"]];
  static usage = Command.Usage({
    category: "Models",
    description: "name a model by another name (alias), remove an alias, or list them",
    details: `
      \`rbee model alias NAME MODEL\` makes NAME stand for the model id MODEL wherever a model is
      named: \`rbee infer --model NAME\`, the OpenAI, Ollama and Anthropic APIs (\`"model": "NAME"\`).
      \`GET /v1/models\` and Ollama's \`/api/tags\` list each alias whose model is on a hive.

      Aliases live in \`models.json\` in the queen's config folder, with per-model defaults
      (context, device, sampling, chat template; see the README's "Model config"). The queen
      writes the file whole (a temp file, then a rename) and reads it again whenever it
      changes, so edits by hand take effect with the next request, without a restart.

      With no arguments it lists the aliases; \`--remove NAME\` deletes one.
    `,
    examples: [
      ["Call demo-tiny \"tiny\"", "$0 model alias tiny demo-tiny"],
      ["List the aliases", "$0 model alias"],
      ["Remove an alias", "$0 model alias --remove tiny"],
    ],
  });

  remove = Option.String("--remove", { description: "remove the alias NAME instead of setting one" });
  name = Option.String({ name: "name", required: false });
  model = Option.String({ name: "model-id", required: false });

  async run(): Promise<number> {
    const format = (r: unknown) => {
      const rows = r as AliasRow[];
      return rows.length ? formatTable(["ALIAS", "MODEL"], rows.map((a) => [a.alias, a.model])) : "no aliases (set one with `rbee model alias NAME MODEL`)";
    };
    if (this.remove !== undefined) {
      if (this.name !== undefined) throw new UsageError("--remove takes the alias to remove, and nothing else");
      return this.follow({ operation: "model_alias", name: this.remove, remove: true }, format);
    }
    if (this.name === undefined) return this.query({ operation: "model_alias", remove: false }, format);
    if (this.model === undefined) throw new UsageError(`give the model id that ${this.name} stands for: rbee model alias ${this.name} MODEL`);
    return this.follow({ operation: "model_alias", name: this.name, model: this.model, remove: false }, format);
  }
}
