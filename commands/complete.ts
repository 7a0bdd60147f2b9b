import { Option } from "clipanion";
import { completionCandidates } from "./completion-candidates.ts";
import { RbeeCommand } from "./rbee-command.ts";
import { commands } from "./registry.ts";

/** What the completion scripts call: the candidates for the word being typed, one per line. */
export class CompleteCommand extends RbeeCommand {
  static paths = [["__complete"]];
  words = Option.Proxy();

  async run(): Promise<number> {
    // The words as the shell has them: the program's name first, the word being typed last.
    const words = (this.words[0] === "--" ? this.words.slice(1) : this.words).slice(1);
    const current = words.at(-1) ?? "";
    const candidates = await completionCandidates(this.cli, commands, words.slice(0, -1), current);
    if (candidates.length) this.context.stdout.write(`${candidates.join("\n")}\n`);
    return 0;
  }
}
