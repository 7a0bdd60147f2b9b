import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { modelsDir } from "../../src/config/paths.ts";
import { openCatalog } from "../../src/model/catalog.ts";
import { writeDemoModel } from "../../src/model/gguf-writer.ts";
import { runRbee, startRbeeDaemon, tempHome, type Daemon } from "../helpers/rbee-binary.ts";

/**
 * A hive holding a sparse GGUF whose header declares a 70B-shaped F32 model (~300 GB on paper,
 * a few KB on disk). A download would hash every byte, so the file is put in the hive's models
 * folder and its catalog row written, as a finished download leaves them.
 */
function seedHugeModel(home: string): void {
  const dir = modelsDir({ RBEE_HOME: home });
  const path = join(dir, "huge.gguf");
  const size = writeDemoModel(path, { dim: 8192, heads: 64, layers: 80, ff: 28672, sparse: true });
  const catalog = openCatalog(dir);
  catalog.upsert({ id: "huge", source: path, path, size_bytes: size, sha256: null, architecture: "llama", parameters: 69e9, context_length: 2048, quantization: "F32", added_at: new Date().toISOString() });
  catalog.close();
}

describe("compiled rbee: placement across two hives, before anything spawns", () => {
  const homes = [tempHome(), tempHome(), tempHome()];
  let queen: Daemon;
  const hives: Daemon[] = [];
  let env: Record<string, string>;

  beforeAll(async () => {
    seedHugeModel(homes[1].home);
    seedHugeModel(homes[2].home);
    queen = await startRbeeDaemon(["serve", "--port", "0"], { RBEE_HOME: homes[0].home });
    for (const [i, id] of ["h1", "h2"].entries()) {
      hives.push(await startRbeeDaemon(["serve", "--role", "hive", "--port", "0", "--hive-id", id, "--queen-url", queen.url], { RBEE_HOME: homes[i + 1].home }));
      await queen.waitFor(new RegExp(`hive ${id} registered`));
    }
    env = { RBEE_HOME: homes[0].home, RBEE_QUEEN_URL: queen.url };
  }, 60_000);
  afterAll(async () => {
    await Promise.all([...hives.map((h) => h.stop()), queen?.stop()]);
    for (const h of homes) h.cleanup();
  });

  it("a model larger than every hive's memory is refused with the free memory of both hives, and no worker starts", async () => {
    // when a request needs a worker for the model both hives have
    const res = await runRbee(["infer", "--model", "huge", "-n", "2", "hi"], env, 60_000);
    // then it fails with what the model needs and what each hive has free
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/PLACEMENT_NO_FIT/);
    const line = res.stderr.split("\n").find((l) => /needs \d/.test(l))!;
    expect(line).toMatch(/needs \d+\.\d GiB \(weights \d+\.\d GiB, KV cache [\d.]+ GiB for 4 slot\(s\) × 2048 tokens\); largest free: RAM on h[12] \d+\.\d GiB, RAM on h[12] \d+\.\d GiB/);
    expect(line).toContain("RAM on h1");
    expect(line).toContain("RAM on h2");
    // and no worker was asked for on either hive
    const workers = await runRbee(["worker", "list", "--json"], env);
    expect(workers).toMatchObject({ code: 0, stdout: "" });
    for (const h of hives) {
      const { jobs } = (await (await fetch(`${h.url}/v1/jobs`)).json()) as { jobs: { operation: string }[] };
      expect(jobs.map((j) => j.operation)).toContain("model_fit");
      expect(jobs.map((j) => j.operation)).not.toContain("worker_spawn");
    }
  });
});
