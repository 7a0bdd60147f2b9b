import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DaemonClient } from "../../src/keeper/daemon-client.ts";
import { ggufOfSize, sha256 } from "../model/fixtures.ts";
import { runRbee, startRbeeDaemon, tempHome, type Daemon } from "../helpers/rbee-binary.ts";

const MASTER = "master-token-of-the-queen-for-copies-0123";
const fileSha = (path: string) => sha256(readFileSync(path));

/** `rbee model copy` between two hive processes, each holding only its own token, through a queen with the master token. */
describe("compiled rbee: copying a model from hive to hive", () => {
  const homes = { q: tempHome(), h1: tempHome(), h2: tempHome() };
  const folder = mkdtempSync(join(tmpdir(), "rbee-copy-"));
  const models = (h: "h1" | "h2") => join(homes[h].home, "data", "models");
  let queen: Daemon;
  const hives: Record<"h1" | "h2", Daemon> = {} as never;
  const tokens: Record<string, string> = {};
  let env: Record<string, string>;

  beforeAll(async () => {
    env = { RBEE_HOME: homes.q.home, RBEE_API_TOKEN: MASTER };
    queen = await startRbeeDaemon(["serve", "--port", "0"], env);
    env.RBEE_QUEEN_URL = queen.url;
    for (const h of ["h1", "h2"] as const) {
      tokens[h] = (await runRbee(["hive", "token", h], env)).stdout.trim();
      hives[h] = await startRbeeDaemon(["serve", "--role", "hive", "--port", "0", "--hive-id", h, "--queen-url", queen.url], { RBEE_HOME: homes[h].home, RBEE_API_TOKEN: tokens[h], RBEE_QUEEN_TOKEN: tokens[h] });
      await queen.waitFor(new RegExp(`hive ${h} registered`));
    }
  });
  afterAll(async () => {
    await Promise.all([hives.h1?.stop(), hives.h2?.stop(), queen?.stop()]);
    for (const h of Object.values(homes)) h.cleanup();
    rmSync(folder, { recursive: true, force: true });
  });

  it("copies a model from h1 to h2 with progress in the narration, and both files have the same sha256", async () => {
    expect((await runRbee(["model", "create-demo", "--hive", "h1"], env)).code).toBe(0);

    const res = await runRbee(["model", "copy", "demo-tiny", "--to-hive", "h2", "--json"], env);

    expect(res.code).toBe(0);
    const events = res.stdout.trim().split("\n").map((l) => JSON.parse(l));
    const progress = events.filter((e) => e.kind === "narration" && e.progress && e.origin === "h2").map((e) => e.progress);
    const size = statSync(join(models("h1"), "demo-tiny.gguf")).size;
    expect(progress.at(-1)).toEqual({ current: size, total: size, unit: "bytes" });
    const copied = events.find((e) => e.kind === "result").result;
    const source = fileSha(join(models("h1"), "demo-tiny.gguf"));
    expect(copied).toEqual([expect.objectContaining({ hive_id: "h2", id: "demo-tiny", source: "demo:tiny", sha256: source })]);
    expect(fileSha(join(models("h2"), "demo-tiny.gguf"))).toBe(source);

    // Listed on h2 now; a second copy finds it there and moves nothing.
    const again = await runRbee(["model", "copy", "demo-tiny", "--to-hive", "h2"], env);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/\[hive h2\] demo-tiny is already on this hive/);
  });

  it("resumes an interrupted copy from the bytes already on the target, and the upload left no second copy on h1", async () => {
    const bytes = ggufOfSize(24 * 1024 * 1024);
    writeFileSync(join(folder, "big.gguf"), bytes);
    const upload = await runRbee(["model", "download", "big.gguf", "--hive", "h1"], env, 60_000, folder);
    expect(upload.code).toBe(0);
    // The uploaded file was moved out of h1's import folder, not copied: one copy on disk.
    expect(existsSync(join(homes.h1.home, "data", "import", "big.gguf"))).toBe(false);
    // What a cut-off copy leaves on the target: the first 10 MiB in the part file.
    mkdirSync(models("h2"), { recursive: true });
    writeFileSync(join(models("h2"), "big.gguf.part"), bytes.subarray(0, 10 * 1024 * 1024));

    const res = await runRbee(["model", "copy", "big", "--to-hive", "all"], env, 60_000);

    expect(res.code).toBe(0);
    expect(res.stderr).toContain("[queen] copying big (24.0 MiB, 1 file) from hive h1 to hive h2");
    expect(res.stderr).toContain("[hive h2] resuming big.gguf at 10.0 MiB of 24.0 MiB");
    expect(res.stderr).toContain("[queen] big is on hive h2, sha256 checked against hive h1");
    expect(fileSha(join(models("h2"), "big.gguf"))).toBe(sha256(bytes));
    expect(fileSha(join(models("h1"), "big.gguf"))).toBe(sha256(bytes));
    expect(existsSync(join(models("h2"), "big.gguf.part"))).toBe(false);
  });

  it("a copy cut off by the target hive dying continues, once the hive is back, from the bytes it had", async () => {
    const bytes = ggufOfSize(48 * 1024 * 1024, { name: "cut" });
    writeFileSync(join(folder, "cut.gguf"), bytes);
    expect((await runRbee(["model", "download", "cut.gguf", "--hive", "h1"], env, 60_000, folder)).code).toBe(0);

    // The copy runs; at h2's first progress line, h2 is killed (as a power cut would).
    const client = new DaemonClient(queen.url, MASTER);
    const { job_id } = await client.submit({ operation: "model_copy", model: "cut", to_hive: "h2" });
    let cutAt = 0;
    const outcome = await client.stream(job_id, {
      onEvent: (e) => {
        if (cutAt || e.kind !== "narration" || e.origin !== "h2" || !e.progress) return;
        cutAt = e.progress.current;
        hives.h2.proc.kill("SIGKILL");
      },
    });
    expect(outcome.state).toBe("failed");
    const part = statSync(join(models("h2"), "cut.gguf.part")).size;
    expect(part).toBeGreaterThan(0);
    expect(part).toBeLessThan(bytes.length);

    // The hive comes back on its address (listening again is all the queen needs); the same command resumes where the part file ends.
    const port = new URL(hives.h2.url).port;
    hives.h2 = await startRbeeDaemon(["serve", "--role", "hive", "--port", port, "--hive-id", "h2", "--queen-url", queen.url], { RBEE_HOME: homes.h2.home, RBEE_API_TOKEN: tokens.h2, RBEE_QUEEN_TOKEN: tokens.h2 });
    const res = await runRbee(["model", "copy", "cut", "--to-hive", "h2"], env, 60_000);
    expect(res.code).toBe(0);
    expect(res.stderr).toMatch(/\[hive h2\] resuming cut\.gguf at [\d.]+ [KM]iB of 48\.0 MiB/);
    expect(fileSha(join(models("h2"), "cut.gguf"))).toBe(sha256(bytes));
  });

  it("keeps the trust rules: a hive's token opens no other hive, and no copy route opens without its ticket", async () => {
    const other = await fetch(`${hives.h1.url}/v1/models/files/demo-tiny/0`, { headers: { authorization: `Bearer ${tokens.h2}` } });
    expect(other.status).toBe(401);
    const noTicket = await fetch(`${queen.url}/v1/model-copies/0123456789abcdef/0`, { headers: { authorization: `Bearer ${tokens.h2}` } });
    expect(noTicket.status).toBe(401);
    const unknown = await runRbee(["model", "copy", "nope", "--to-hive", "h2"], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("MODEL_NOT_FOUND: no other online hive has the model nope");
  });
});
