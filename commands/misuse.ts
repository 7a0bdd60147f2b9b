import type { Cli, CommandClass } from "clipanion";

/**
 * Says what is wrong with a command line clipanion could not parse, as a person would:
 * a mistyped command gets the nearest real one, a known command missing a required option
 * names that option, then its usage follows.
 */
export function unknownCommandMessage(word: string, commands: CommandClass[]): string {
  const names = [...new Set(commands.flatMap((c) => (c.paths ?? []).map((p) => p[0]).filter((n): n is string => !!n)))];
  const near = names.map((n) => ({ n, d: distance(word, n) })).filter((x) => x.d <= Math.max(1, Math.floor(x.n.length / 3))).sort((a, b) => a.d - b.d)[0];
  return `error: unknown command "${word}"${near ? `; did you mean \`rbee ${near.n}\`?` : ""} See \`rbee --help\`.\n`;
}

export function parseErrorMessage(cli: Cli, commands: CommandClass[], argv: string[], colored: boolean): string | undefined {
  const words = argv.filter((a) => !a.startsWith("-"));
  let best: { command: CommandClass; length: number } | undefined;
  for (const command of commands)
    for (const path of command.paths ?? [])
      if (path.length && path.length > (best?.length ?? 0) && path.every((p, i) => words[i] === p)) best = { command, length: path.length };
  if (!best) return undefined;
  const name = `rbee ${words.slice(0, best.length).join(" ")}`;
  const definition = cli.definitions().find((d) => d.path === name);
  const missing = (definition?.options ?? []).filter((o) => o.required && !optionNames(o.definition).some((n) => argv.some((a) => a === n || a.startsWith(`${n}=`))));
  const what = missing.length
    ? `${name} needs ${missing.map((o) => `${optionNames(o.definition)[0]} (${o.description?.trim() ?? ""})`).join(" and ")}`
    : `${name} got arguments it does not take, or lacks one it needs`;
  return `Usage Error: ${what}\n\n${cli.usage(best.command, { colored })}`;
}

/** `--model,-m #0` → ["--model", "-m"]. */
const optionNames = (definition: string) => definition.split(" ")[0].split(",");

/** Edit distance (insertions, deletions, substitutions, adjacent swaps). */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[a.length][b.length];
}
