import { Command } from "clipanion";
import type { HiveEntry } from "../../src/queen/hive-directory.ts";
import { formatTable } from "../../src/keeper/table.ts";
import { QueenCommand } from "../queen-command.ts";

export class HiveListCommand extends QueenCommand {
  static paths = [["hive", "list"], ["hives"]];
  static usage = Command.Usage({
    category: "Hives",
    description: "list the hives the queen knows: URL, state, last seen, devices, workers",
    examples: [["List hives", "$0 hive list"], ["As NDJSON", "$0 hive list --json"]],
  });

  run(): Promise<number> {
    return this.query({ operation: "hive_list" }, (r) =>
      formatTable(
        ["HIVE", "URL", "STATE", "LAST SEEN", "DEVICES", "WORKERS"],
        (r as HiveEntry[]).map((h) => [
          h.id,
          h.embedded ? "(embedded)" : h.url,
          h.state,
          h.last_seen ? `${Math.round((Date.now() - h.last_seen) / 1000)}s ago` : "",
          h.devices?.join(",") ?? "",
          h.workers ?? "",
        ]),
      ),
    );
  }
}
