import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { rbeePaths } from "../config/paths.ts";

/** Where the queen keeps each remote hive's URL, fixed at its first registration. */
export const hivePinsFile = () => join(rbeePaths().state, "hive-urls.json");

/**
 * The URL each hive registered with first. A heartbeat may not move a hive elsewhere (a
 * stolen or misused hive token would otherwise redirect users' prompts); only the operator's
 * `rbee hive forget ID` drops a pin. Kept on disk so a queen restart does not reopen the race.
 */
export class HivePins {
  private readonly pins: Map<string, string>;

  constructor(private readonly file = hivePinsFile()) {
    this.pins = new Map(Object.entries(readPins(file)));
  }

  get(hiveId: string): string | undefined {
    return this.pins.get(hiveId);
  }

  set(hiveId: string, url: string): void {
    this.pins.set(hiveId, url);
    this.save();
  }

  delete(hiveId: string): boolean {
    const had = this.pins.delete(hiveId);
    if (had) this.save();
    return had;
  }

  private save(): void {
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
    writeFileSync(tmp, `${JSON.stringify(Object.fromEntries(this.pins), null, 2)}\n`, { mode: 0o600 });
    renameSync(tmp, this.file);
  }
}

function readPins(file: string): Record<string, string> {
  try {
    const parsed = JSON.parse(readFileSync(file, "utf8")) as unknown;
    if (!parsed || typeof parsed !== "object") return {};
    return Object.fromEntries(Object.entries(parsed).filter((e): e is [string, string] => typeof e[1] === "string"));
  } catch {
    return {};
  }
}
