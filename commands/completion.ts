import { Command, Option, UsageError } from "clipanion";
import { RbeeCommand } from "./rbee-command.ts";

/** Each shell asks `rbee __complete -- rbee WORDS… CURRENT` and offers what it prints (one per line). */
const SCRIPTS: Record<string, string> = {
  bash: `# rbee completion for bash: eval "$(rbee completion bash)"
_rbee() {
  local IFS=$'\\n'
  COMPREPLY=($(rbee __complete -- "\${COMP_WORDS[@]:0:COMP_CWORD}" "\${COMP_WORDS[COMP_CWORD]}" 2>/dev/null))
}
complete -o default -F _rbee rbee
`,
  zsh: `#compdef rbee
# rbee completion for zsh: eval "$(rbee completion zsh)"
_rbee() {
  local -a candidates
  candidates=("\${(@f)$(rbee __complete -- "\${(@)words[1,CURRENT-1]}" "\${words[CURRENT]}" 2>/dev/null)}")
  candidates=(\${candidates:#})
  if (( \${#candidates} )); then compadd -a candidates; else _files; fi
}
compdef _rbee rbee
`,
  fish: `# rbee completion for fish: rbee completion fish | source
complete -c rbee -a '(rbee __complete -- (commandline -opc) (commandline -ct) 2>/dev/null)'
`,
};

export class CompletionCommand extends RbeeCommand {
  static paths = [["completion"]];
  static usage = Command.Usage({
    description: "print a shell completion script: commands, options, and model, worker, hive and job ids from the queen",
    details: "Ids come from the queen when one answers at once (a TAB never starts one or waits for it).",
    examples: [
      ["bash (add to ~/.bashrc)", 'eval "$(rbee completion bash)"'],
      ["zsh (add to ~/.zshrc, after compinit)", 'eval "$(rbee completion zsh)"'],
      ["fish", "rbee completion fish > ~/.config/fish/completions/rbee.fish"],
    ],
  });

  shell = Option.String({ name: "bash|zsh|fish" });

  async run(): Promise<number> {
    const script = SCRIPTS[this.shell];
    if (!script) throw new UsageError(`no completion for "${this.shell}": choose bash, zsh or fish`);
    this.context.stdout.write(script);
    return 0;
  }
}
