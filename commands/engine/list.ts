import { Command, Option } from "clipanion";
import type { EngineInfo } from "../../src/engine/engine-list.ts";
import { formatBytes, formatTable } from "../../src/keeper/table.ts";
import { QueenCommand } from "../queen-command.ts";

export class EngineListCommand extends QueenCommand {
  static paths = [["engine", "list"], ["engines"]];
  static usage = Command.Usage({
    category: "Engines",
    description: "list the llama.cpp engines of every online hive (or one): backend, version, size, path, whether it loads",
    details: `
      The CPU engine ships inside rbee: node-llama-cpp's prebuilt one, and the OpenMP build when
      rbee was built after \`bun run build:engine\` (BUILD says which one workers get). GPU engines (Vulkan, CUDA, Metal) are node-llama-cpp's
      prebuilt packages, installed per hive with \`rbee engine install\`. Each installed engine
      is started once in a throwaway process to tell whether it loads on that machine; when it
      does not, the row says what is missing.
    `,
    examples: [["Every hive's engines", "$0 engine list"], ["As NDJSON", "$0 engine list --json"]],
  });

  hive = Option.String("--hive", { description: "only this hive" });

  run(): Promise<number> {
    return this.query({ operation: "engine_list", ...(this.hive ? { hive_id: this.hive } : {}) }, (r) => formatEngines(r as (EngineInfo & { hive_id: string })[]));
  }
}

export function formatEngines(rows: (EngineInfo & { hive_id: string })[]): string {
  const state = (e: EngineInfo) => (!e.installed ? "not installed" : e.loads ? "loads" : `does not load: ${e.error ?? "?"}`);
  return formatTable(
    ["HIVE", "BACKEND", "BUILD", "VERSION", "SIZE", "STATE", "PATH"],
    rows.map((e) => [e.hive_id, e.backend, e.build ?? (e.installed ? "prebuilt" : ""), e.version, formatBytes(e.size_bytes), state(e), e.path ?? (e.hint ? `(${e.hint})` : "")]),
  );
}
