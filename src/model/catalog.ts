import { Database } from "bun:sqlite";
import { chmodSync, closeSync, mkdirSync, openSync } from "node:fs";
import { join } from "node:path";
import { modelsDir } from "../config/paths.ts";
import type { ModelRecord } from "./model-record.ts";

const SCHEMA_VERSION = 2;

/**
 * The hive's model catalog: one SQLite row per model whose file sits in the models folder.
 * A file without a row is not a model (a crash between rename and insert leaves only an
 * orphan file, never a row pointing at nothing we wrote).
 */
export class ModelCatalog {
  private readonly db: Database;

  constructor(readonly dbPath: string) {
    this.db = new Database(dbPath, { create: true, strict: true });
    // WAL lets a reader (a `model list` job) run while a download's insert commits.
    this.db.exec("PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL;");
    this.migrate();
  }

  private migrate(): void {
    const { user_version } = this.db.query("PRAGMA user_version").get() as { user_version: number };
    if (user_version >= SCHEMA_VERSION) return;
    if (user_version < 1) this.db.exec(`
      CREATE TABLE IF NOT EXISTS models (
        id TEXT PRIMARY KEY,
        source TEXT NOT NULL,
        path TEXT NOT NULL,
        size_bytes INTEGER NOT NULL,
        sha256 TEXT,
        architecture TEXT NOT NULL,
        parameters INTEGER NOT NULL,
        context_length INTEGER,
        quantization TEXT NOT NULL,
        added_at TEXT NOT NULL
      ) STRICT;
    `);
    // 2: models of several files (shards, a vision projector); files is a JSON list of ModelFile.
    this.db.exec(`
      ALTER TABLE models ADD COLUMN mmproj TEXT;
      ALTER TABLE models ADD COLUMN files TEXT;
      PRAGMA user_version = ${SCHEMA_VERSION};
    `);
  }

  /** Inserts the model, or replaces the row with the same id. */
  upsert(record: ModelRecord): ModelRecord {
    this.db
      .query(
        `INSERT INTO models (id, source, path, size_bytes, sha256, architecture, parameters, context_length, quantization, added_at, mmproj, files)
         VALUES ($id, $source, $path, $size_bytes, $sha256, $architecture, $parameters, $context_length, $quantization, $added_at, $mmproj, $files)
         ON CONFLICT(id) DO UPDATE SET source = excluded.source, path = excluded.path, size_bytes = excluded.size_bytes,
           sha256 = excluded.sha256, architecture = excluded.architecture, parameters = excluded.parameters,
           context_length = excluded.context_length, quantization = excluded.quantization, added_at = excluded.added_at,
           mmproj = excluded.mmproj, files = excluded.files`,
      )
      .run({ ...record, parameters: Math.round(record.parameters), mmproj: record.mmproj ?? null, files: record.files ? JSON.stringify(record.files) : null });
    return record;
  }

  get(id: string): ModelRecord | undefined {
    const row = this.db.query("SELECT * FROM models WHERE id = ?").get(id) as Row | null;
    return row ? fromRow(row) : undefined;
  }

  list(): ModelRecord[] {
    return (this.db.query("SELECT * FROM models ORDER BY id").all() as Row[]).map(fromRow);
  }

  /** Records whose canonical source starts with `prefix` (every file of one hf repo). */
  findBySourcePrefix(prefix: string): ModelRecord[] {
    // substr, not LIKE: LIKE ignores case and treats '_' as a wildcard.
    return (this.db.query("SELECT * FROM models WHERE substr(source, 1, length($p)) = $p ORDER BY id").all({ p: prefix }) as Row[]).map(fromRow);
  }

  /** True when a row was removed. */
  remove(id: string): boolean {
    return this.db.query("DELETE FROM models WHERE id = ?").run(id).changes > 0;
  }

  close(): void {
    this.db.close();
  }
}

type Row = Omit<ModelRecord, "files" | "mmproj"> & { mmproj: string | null; files: string | null };

/** A row as the wire shape: older rows (no files list) leave `files` out rather than invent one. */
function fromRow({ files, mmproj, ...rest }: Row): ModelRecord {
  return { ...rest, ...(mmproj ? { mmproj } : {}), ...(files ? { files: JSON.parse(files) } : {}) };
}

const open = new Map<string, ModelCatalog>();

/**
 * The catalog of the current models folder, opened once per process (per folder, so a test
 * that switches RBEE_HOME gets its own).
 */
export function openCatalog(dir: string = modelsDir()): ModelCatalog {
  const dbPath = join(dir, "catalog.db");
  let catalog = open.get(dbPath);
  if (!catalog) {
    // Private, like the audit log: the folder 0700, the database 0600 (SQLite gives its
    // -wal and -shm files the database's mode). chmod too: the files may predate this rule.
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
    closeSync(openSync(dbPath, "a", 0o600));
    chmodSync(dbPath, 0o600);
    catalog = new ModelCatalog(dbPath);
    open.set(dbPath, catalog);
  }
  return catalog;
}

/** Closes every catalog this process opened (daemon shutdown, test teardown). */
export function closeCatalogs(): void {
  for (const catalog of open.values()) catalog.close();
  open.clear();
}
