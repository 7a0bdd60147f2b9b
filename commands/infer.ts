import { Command, Option, UsageError } from "clipanion";
import * as t from "typanion";
import { JobCommand } from "./job-command.ts";

export class InferCommand extends JobCommand {
  static paths = [["infer"]];
  static usage = Command.Usage({
    description: "run inference: tokens stream to stdout as they are generated",
    details: `
      Sends the prompt to the queen, which routes it to a worker that has the model loaded (starting
      one when none is ready). Tokens go to stdout as they arrive; the story (which hive, which
      worker, speed) goes to stderr. Ctrl-C cancels the generation.

      The demo model (\`rbee model create-demo\`) has random weights: it runs for real but produces
      gibberish. For real text download a real GGUF, e.g. \`rbee model download hf:ORG/REPO\`.
    `,
    examples: [
      ["Generate from the demo model", '$0 infer --model demo-tiny "Once upon a time"'],
      ["On a given hive, 64 tokens, fixed seed", '$0 infer --model tinyllama --hive gpu1 --max-tokens 64 --seed 1 "Hello"'],
      ["Every event as NDJSON", '$0 infer --model demo-tiny --json "Hello"'],
    ],
  });

  model = Option.String("--model,-m", { required: true, description: "model id (see `rbee model list`)" });
  hive = Option.String("--hive", { description: "run on this hive (default: the queen chooses)" });
  maxTokens = Option.String("--max-tokens,-n", "128", { description: "tokens to generate at most (default 128)", validator: t.isNumber() });
  temperature = Option.String("--temperature", { description: "sampling temperature (0 = greedy)", validator: t.isNumber() });
  seed = Option.String("--seed", { description: "sampling seed, for repeatable output", validator: t.isNumber() });
  system = Option.String("--system", { description: "a system message: sends the prompt as a chat" });
  keepAlive = Option.String("--keep-alive", { description: "how long the worker stays loaded once this request is done (5m, 30s, 0: unload now, -1: never; workers started by hand stay)" });
  prompt = Option.Rest({ name: "prompt" });

  run(): Promise<number> {
    if (!this.prompt.length) throw new UsageError('rbee infer needs a prompt, e.g. rbee infer --model demo-tiny "Once upon a time"');
    const text = this.prompt.join(" ");
    const chat = this.system ? { messages: [{ role: "system" as const, content: this.system }, { role: "user" as const, content: text }] } : { prompt: text };
    return this.follow(
      {
        operation: "infer",
        model: this.model,
        ...(this.hive ? { hive_id: this.hive } : {}),
        ...chat,
        max_tokens: this.maxTokens,
        ...(this.temperature !== undefined ? { temperature: this.temperature } : {}),
        ...(this.seed !== undefined ? { seed: this.seed } : {}),
        ...(this.keepAlive !== undefined ? { keep_alive: this.keepAlive } : {}),
      },
      () => "",
    );
  }
}
