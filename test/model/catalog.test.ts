import { Database } from "bun:sqlite";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { modelsDir } from "../../src/config/paths.ts";
import { closeCatalogs, openCatalog } from "../../src/model/catalog.ts";
import type { ModelRecord } from "../../src/model/model-record.ts";
import { freshHome } from "./fixtures.ts";

function record(id: string, extra: Partial<ModelRecord> = {}): ModelRecord {
  return {
    id,
    source: `hf:org/repo:${id}.gguf`,
    path: join(modelsDir(), `${id}.gguf`),
    size_bytes: 1234,
    sha256: null,
    architecture: "llama",
    parameters: 1_100_000_000,
    context_length: 2048,
    quantization: "Q4_K_M",
    added_at: "2025-01-01T00:00:00.000Z",
    ...extra,
  };
}

describe("model catalog", () => {
  let home: Awaited<ReturnType<typeof freshHome>>;
  beforeEach(async () => {
    home = await freshHome();
  });
  afterEach(async () => {
    await home.restore();
  });

  it("stores, replaces, lists and removes records in catalog.db under the models folder", () => {
    const catalog = openCatalog();
    expect(existsSync(join(modelsDir(), "catalog.db"))).toBe(true);
    expect(openCatalog()).toBe(catalog);
    catalog.upsert(record("b"));
    catalog.upsert(record("a", { sha256: "ab", context_length: null }));
    catalog.upsert(record("b", { size_bytes: 99 }));
    expect(catalog.list().map((r) => [r.id, r.size_bytes])).toEqual([
      ["a", 1234],
      ["b", 99],
    ]);
    expect(catalog.get("a")).toEqual(record("a", { sha256: "ab", context_length: null }));
    expect(catalog.get("zzz")).toBeUndefined();
    expect(catalog.findBySourcePrefix("hf:org/repo:").length).toBe(2);
    expect(catalog.findBySourcePrefix("hf:org/rep_:").length).toBe(0);
    expect(catalog.remove("a")).toBe(true);
    expect(catalog.remove("a")).toBe(false);
    expect(catalog.list().map((r) => r.id)).toEqual(["b"]);
  });

  it("keeps records across processes (reopened) in WAL mode", () => {
    openCatalog().upsert(record("kept"));
    closeCatalogs();
    expect(openCatalog().get("kept")?.parameters).toBe(1_100_000_000);
    const db = new Database(join(modelsDir(), "catalog.db"), { readonly: true });
    expect(db.query("PRAGMA journal_mode").get()).toEqual({ journal_mode: "wal" });
    db.close();
  });

  it("opens a catalog written before models had several files, keeps its rows, and stores files and mmproj from then on", () => {
    // The schema of version 1, with one row, as an older rbee left it.
    mkdirSync(modelsDir(), { recursive: true });
    const old = new Database(join(modelsDir(), "catalog.db"), { create: true });
    old.exec(`CREATE TABLE models (id TEXT PRIMARY KEY, source TEXT NOT NULL, path TEXT NOT NULL, size_bytes INTEGER NOT NULL, sha256 TEXT,
      architecture TEXT NOT NULL, parameters INTEGER NOT NULL, context_length INTEGER, quantization TEXT NOT NULL, added_at TEXT NOT NULL) STRICT;
      PRAGMA user_version = 1;`);
    old.query("INSERT INTO models VALUES ('old', 'demo:tiny', '/m/old.gguf', 10, 'aa', 'llama', 5, 2048, 'F32', '2025-01-01T00:00:00.000Z')").run();
    old.close();

    const catalog = openCatalog();
    expect(catalog.get("old")).toEqual({ id: "old", source: "demo:tiny", path: "/m/old.gguf", size_bytes: 10, sha256: "aa", architecture: "llama", parameters: 5, context_length: 2048, quantization: "F32", added_at: "2025-01-01T00:00:00.000Z" });
    const files = [
      { name: "v/v-00001-of-00002.gguf", size_bytes: 6, sha256: "a".repeat(64), role: "model" as const },
      { name: "v/mmproj-f16.gguf", size_bytes: 4, sha256: "b".repeat(64), role: "mmproj" as const },
    ];
    catalog.upsert(record("v", { mmproj: "/m/v/mmproj-f16.gguf", files }));
    closeCatalogs();
    expect(openCatalog().get("v")).toEqual(record("v", { mmproj: "/m/v/mmproj-f16.gguf", files }));
  });
});
