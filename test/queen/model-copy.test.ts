import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RunningHive } from "../../src/hive/start-hive.ts";
import { startFileServer, type FileServer } from "../model/file-server.ts";
import { ggufFixture, ggufOfSize, sha256 } from "../model/fixtures.ts";
import { startSideHive, startTestQueen, type TestQueen } from "../helpers/queen-harness.ts";

describe("model_copy of a model of several files (shards and a projector)", () => {
  let t: TestQueen;
  let hive: RunningHive;
  let side: Awaited<ReturnType<typeof startSideHive>>;
  let hf: FileServer;
  const saved = process.env.HF_ENDPOINT;

  beforeEach(async () => {
    hf = await startFileServer();
    process.env.HF_ENDPOINT = hf.base;
    t = await startTestQueen();
    side = await startSideHive(t, "h2");
    hive = side.hive;
  });
  afterEach(async () => {
    await side?.stop();
    await t?.stop();
    await hf.stop();
    if (saved === undefined) delete process.env.HF_ENDPOINT;
    else process.env.HF_ENDPOINT = saved;
  });

  it("pulls a sharded model with its projector on one hive, copies every file to the other, and the copy is listed the same", async () => {
    const files: Record<string, Uint8Array> = {
      "v-Q8_0-00001-of-00002.gguf": ggufOfSize(256 * 1024, { fileType: 7 }),
      "v-Q8_0-00002-of-00002.gguf": ggufFixture({ architecture: null, tensors: [{ name: "blk.0.w", shape: [4096] }] }),
      "mmproj-v-f16.gguf": ggufFixture({ architecture: "clip" }),
    };
    hf.json.set("/api/models/org/V-GGUF", { siblings: Object.keys(files).map((rfilename) => ({ rfilename })) });
    for (const [name, body] of Object.entries(files)) hf.files.set(`/org/V-GGUF/resolve/main/${name}`, { body });
    const pulled = await t.run({ operation: "model_download", model: "hf:org/V-GGUF:q8_0" });
    expect(pulled.outcome.state).toBe("completed");

    const copy = await t.run({ operation: "model_copy", model: "v-q8_0", to_hive: "h2" });

    expect(copy.outcome.state).toBe("completed");
    const [onH2] = hive.hive.models.list();
    const original = t.queen.localHive!.models.get("v-q8_0");
    expect(onH2).toMatchObject({ id: "v-q8_0", source: original.source, size_bytes: original.size_bytes, parameters: original.parameters, files: original.files });
    expect(onH2.mmproj).toBe(join(hive.hive.models.dir, "v-q8_0", "mmproj-v-f16.gguf"));
    const folder = join(hive.hive.models.dir, "v-q8_0");
    expect(readdirSync(folder).sort()).toEqual(Object.keys(files).sort());
    for (const [name, body] of Object.entries(files)) expect(sha256(readFileSync(join(folder, name)))).toBe(sha256(body));
    expect(copy.lines).toContain("copying v-q8_0 (" + (original.files!.reduce((a, f) => a + f.size_bytes, 0) / 1024).toFixed(1) + " KiB, 3 files) from hive localhost to hive h2");
    // Copying to the hive it came from is refused, and changes nothing.
    const same = await t.run({ operation: "model_copy", model: "v-q8_0", from_hive: "localhost", to_hive: "localhost" });
    expect(same.outcome).toMatchObject({ state: "failed", error: "v-q8_0 is already on hive localhost, the copy's source" });
  });
});
