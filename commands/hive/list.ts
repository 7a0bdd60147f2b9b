import { Command } from "clipanion";
import { installedHiveAliases } from "../../src/keeper/installed-hives.ts";
import type { HiveEntry } from "../../src/queen/hive-directory.ts";
import { formatTable } from "../../src/keeper/table.ts";
import { QueenCommand } from "../queen-command.ts";

/** A hive this keeper installed that the queen has not heard from: it is not running. */
type ListedHive = HiveEntry | { id: string; state: "stopped"; installed: true; embedded: false };

export class HiveListCommand extends QueenCommand {
  static paths = [["hive", "list"], ["hives"]];
  static usage = Command.Usage({
    category: "Hives",
    description: "list the hives the queen knows: URL, state, last seen, devices, workers",
    details: "Hives installed from here (`rbee hive install`) that the queen has not heard from show as installed, stopped.",
    examples: [["List hives", "$0 hive list"], ["As NDJSON", "$0 hive list --json"]],
  });

  run(): Promise<number> {
    return this.query(
      { operation: "hive_list" },
      (r) =>
        formatTable(
          ["HIVE", "URL", "STATE", "LAST SEEN", "DEVICES", "WORKERS"],
          (r as ListedHive[]).map((h) =>
            "installed" in h
              ? [h.id, "", "installed, stopped", "", "", ""]
              : [
                  h.id,
                  h.embedded ? "(embedded)" : h.url,
                  h.state,
                  h.last_seen ? `${Math.round((Date.now() - h.last_seen) / 1000)}s ago` : "",
                  h.devices?.join(",") ?? "",
                  h.workers ?? "",
                ],
          ),
        ),
      (r) => {
        const known = new Set((r as HiveEntry[]).map((h) => h.id));
        const stopped = installedHiveAliases().filter((id) => !known.has(id));
        return [...(r as HiveEntry[]), ...stopped.map((id) => ({ id, state: "stopped" as const, installed: true as const, embedded: false as const }))];
      },
    );
  }
}
