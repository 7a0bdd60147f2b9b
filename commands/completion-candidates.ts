import type { CommandClass, Definition } from "clipanion";
import { DaemonClient } from "../src/keeper/daemon-client.ts";
import { queenUrl } from "../src/keeper/queen-url.ts";
import { isHealthy } from "../src/lifecycle/health.ts";
import type { Operation } from "../src/protocol/operations.ts";

/** How long completion may wait on the queen: a slow or absent queen must never stall a TAB. */
const QUEEN_WAIT_MS = 800;

/** Which ids an option's value or a command's argument takes, and the read that lists them. */
type IdKind = "model" | "worker" | "hive" | "job";
const OPTION_IDS: Record<string, IdKind> = { "--model": "model", "-m": "model", "--hive": "hive", "--to-hive": "hive", "--from-hive": "hive" };
const ARGUMENT_IDS: Record<string, IdKind> = {
  "model get": "model",
  "model delete": "model",
  "model copy": "model",
  "worker get": "worker",
  "worker stop": "worker",
  "jobs get": "job",
  "jobs logs": "job",
  "jobs cancel": "job",
};

/**
 * What may come next on a command line: `typed` are the words before the cursor (without
 * `rbee`), `current` the word being typed. Commands and options come from clipanion's own
 * definitions; model, worker, hive and job ids from the queen, when one answers at once.
 */
export async function completionCandidates(cli: { definitions: () => Definition[] }, commands: CommandClass[], typed: string[], current: string): Promise<string[]> {
  const paths = commands.flatMap((c) => (c.paths ?? []).filter((p) => p.length > 0 && !p[0].startsWith("__")));
  const matched = paths.filter((p) => p.every((w, i) => typed[i] === w)).sort((a, b) => b.length - a.length)[0];
  if (!matched || (typed.length === matched.length && !current.startsWith("-") && paths.some((p) => p.length > matched.length && matched.every((w, i) => p[i] === w)))) {
    // Still naming the command: the next word of every path that fits what is typed.
    const depth = typed.length;
    const next = paths.filter((p) => p.length > depth && typed.every((w, i) => p[i] === w)).map((p) => p[depth]);
    return keep([...new Set(next)], current);
  }
  const name = `rbee ${matched.join(" ")}`;
  const options = (cli.definitions().find((d) => d.path === name)?.options ?? []).map((o) => ({ names: o.definition.split(" ")[0].split(","), takesValue: o.definition.includes(" ") }));
  const previous = typed.at(-1) ?? "";
  const valueOf = options.find((o) => o.names.includes(previous) && o.takesValue);
  if (valueOf) {
    const kind = OPTION_IDS[previous];
    return kind ? keep(await queenIds(kind, typed), current) : [];
  }
  if (current.startsWith("-")) return keep(options.flatMap((o) => o.names.filter((n) => n.startsWith("--"))), current);
  const kind = ARGUMENT_IDS[matched.join(" ")];
  return kind ? keep(await queenIds(kind, typed), current) : [];
}

const keep = (words: string[], prefix: string) => words.filter((w) => w.startsWith(prefix)).sort();

async function queenIds(kind: IdKind, typed: string[]): Promise<string[]> {
  const flag = typed.indexOf("--queen-url");
  const url = queenUrl(flag >= 0 ? typed[flag + 1] : undefined);
  try {
    if (!(await isHealthy(url, QUEEN_WAIT_MS))) return [];
    const client = new DaemonClient(url);
    const signal = AbortSignal.timeout(QUEEN_WAIT_MS);
    if (kind === "job") return (await client.list()).map((j) => j.job_id);
    const hive = typed[typed.indexOf("--hive") + 1];
    const op: Operation =
      kind === "model"
        ? { operation: "model_list", hive_id: typed.includes("--hive") ? hive : "localhost" }
        : kind === "worker"
          ? { operation: "worker_list", ...(typed.includes("--hive") ? { hive_id: hive } : {}) }
          : { operation: "hive_list" };
    let result: unknown;
    await client.submitAndStream(op, { signal, onEvent: (e) => e.kind === "result" && (result = e.result) });
    const key = kind === "worker" ? "worker_id" : "id";
    return Array.isArray(result) ? result.map((r) => String((r as Record<string, unknown>)[key])) : [];
  } catch {
    return [];
  }
}
