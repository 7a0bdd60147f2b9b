import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DaemonClient } from "../../src/keeper/daemon-client.ts";
import { runRbee, startRbeeDaemon, tempHome, type Daemon } from "../helpers/rbee-binary.ts";

const TOKEN = "audit-failure-token";
const DOWNLOAD = { operation: "model_download", model: "demo:tiny" };

/** A queen whose audit.log is a directory: every append fails with EISDIR. */
async function queenOverBrokenLog(extraEnv: Record<string, string> = {}, config?: unknown) {
  const home = tempHome();
  mkdirSync(join(home.home, "state", "audit.log"), { recursive: true });
  if (config) {
    mkdirSync(join(home.home, "config"), { recursive: true });
    writeFileSync(join(home.home, "config", "config.json"), JSON.stringify(config));
  }
  const queen = await startRbeeDaemon(["serve", "--port", "0"], { RBEE_HOME: home.home, RBEE_API_TOKEN: TOKEN, ...extraEnv });
  const post = (headers: Record<string, string>, body: unknown = DOWNLOAD) =>
    fetch(`${queen.url}/v1/jobs`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
  return { home, queen, post, client: new DaemonClient(queen.url, TOKEN) };
}

describe("compiled rbee: an audit log that cannot be written", () => {
  let cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanup) await c();
    cleanup = [];
  });
  const track = (q: { home: { cleanup: () => void }; queen: Daemon }) => cleanup.push(async () => (await q.queen.stop(), q.home.cleanup()));

  it("continue (the default): 401 without a token, jobs complete, /metrics and /v1/info count it, no path leaks; it recovers with a gap record", async () => {
    const q = await queenOverBrokenLog({ RBEE_AUDIT: "1" });
    track(q);
    const { home, queen, post, client } = q;

    for (const headers of [{}, { authorization: "Bearer wrong" }] as Record<string, string>[]) {
      const res = await post(headers);
      expect(res.status).toBe(401);
      expect(await res.text()).not.toContain(home.home);
    }
    const created = await post({ authorization: `Bearer ${TOKEN}` });
    expect(created.status).toBe(201);
    const { job_id } = (await created.json()) as { job_id: string };
    expect(await client.stream(job_id, { onEvent: () => {} })).toEqual({ state: "completed" });

    const metrics = await (await fetch(`${queen.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
    expect(Number(metrics.match(/^rbee_audit_write_failures_total (\d+)$/m)?.[1])).toBeGreaterThanOrEqual(3);
    expect(metrics).toMatch(/^rbee_audit_failing 1$/m);
    const info = await (await fetch(`${queen.url}/v1/info`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
    expect(JSON.parse(info).audit).toMatchObject({ enabled: true, failure_action: "continue", failing: true, error: "EISDIR" });
    expect(info).not.toContain(home.home);
    // Loud in the daemon's own log, which may name the file: that is for the operator.
    await queen.waitFor(/cannot write the audit log .*audit\.log/);

    // Space again: the next record is preceded by one saying how many were lost.
    rmSync(join(home.home, "state", "audit.log"), { recursive: true });
    expect((await post({ authorization: `Bearer ${TOKEN}` })).status).toBe(201);
    await queen.waitFor(/writable again/);
    const records = readFileSync(join(home.home, "state", "audit.log"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(records[0]).toMatchObject({ event: "audit_gap", error: "EISDIR" });
    expect(records[0].lost).toBeGreaterThanOrEqual(3);
    expect(records[1]).toMatchObject({ event: "job_created", operation: "model_download" });
    expect(JSON.parse(await (await fetch(`${queen.url}/v1/info`, { headers: { authorization: `Bearer ${TOKEN}` } })).text()).audit.failing).toBe(false);
    await queen.stop();
    const verify = await runRbee(["audit", "verify"], { RBEE_HOME: home.home });
    expect(verify.stdout).toMatch(/^ok: \d+ record\(s\), chain intact/);
  });

  it("refuse (from config.json): 503 for changes, 401 for a bad token, reads still answered; changes resume once it can write", async () => {
    const q = await queenOverBrokenLog({}, { audit: { failure_action: "refuse" } });
    track(q);
    const { home, queen, post, client } = q;
    const auth = { authorization: `Bearer ${TOKEN}` };

    const refused = await post(auth);
    expect(refused.status).toBe(503);
    const body = await refused.text();
    expect(JSON.parse(body).error.code).toBe("AUDIT_UNAVAILABLE");
    expect(body).not.toContain(home.home);
    expect((await fetch(`${queen.url}/v1/jobs/nope`, { method: "DELETE", headers: auth })).status).toBe(503);
    expect((await post({ authorization: "Bearer wrong" })).status).toBe(401);
    expect((await post({})).status).toBe(401);
    // Reads change nothing: answered, as job or GET.
    const status = await post(auth, { operation: "status" });
    expect(status.status).toBe(201);
    expect(await client.stream(((await status.json()) as { job_id: string }).job_id, { onEvent: () => {} })).toEqual({ state: "completed" });
    expect((await fetch(`${queen.url}/v1/jobs`, { headers: auth })).status).toBe(200);
    expect((await client.list()).map((j) => j.operation)).not.toContain("model_download");

    rmSync(join(home.home, "state", "audit.log"), { recursive: true });
    const created = await post(auth);
    expect(created.status).toBe(201);
    expect(await client.stream(((await created.json()) as { job_id: string }).job_id, { onEvent: () => {} })).toEqual({ state: "completed" });
  });

  // A real ENOSPC needs a filesystem that fills: a tiny tmpfs, mountable as root only.
  const probe = tempHome();
  const canMount = Bun.spawnSync(["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", probe.home], { stderr: "ignore" }).exitCode === 0;
  if (canMount) Bun.spawnSync(["umount", probe.home]);
  probe.cleanup();

  it.runIf(canMount)("a full tmpfs (ENOSPC): jobs complete meanwhile; afterwards no half-written line is left and the chain verifies", async () => {
    const home = tempHome();
    const state = join(home.home, "state");
    mkdirSync(state, { recursive: true });
    expect(Bun.spawnSync(["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", state]).exitCode).toBe(0);
    const queen = await startRbeeDaemon(["serve", "--port", "0"], { RBEE_HOME: home.home, RBEE_API_TOKEN: TOKEN, RBEE_AUDIT: "1" });
    cleanup.push(async () => {
      await queen.stop();
      Bun.spawnSync(["umount", state]);
      home.cleanup();
    });
    const client = new DaemonClient(queen.url, TOKEN);
    const download = async () => expect(await client.submitAndStream(DOWNLOAD as never, { onEvent: () => {} })).toEqual({ state: "completed" });
    await download();
    Bun.spawnSync(["dd", "if=/dev/zero", `of=${join(state, "filler")}`, "bs=1k", "count=64"], { stderr: "ignore" });
    for (let i = 0; i < 3; i++) await download();
    const info = JSON.parse(await (await fetch(`${queen.url}/v1/info`, { headers: { authorization: `Bearer ${TOKEN}` } })).text());
    expect(info.audit).toMatchObject({ failing: true, error: "ENOSPC" });

    rmSync(join(state, "filler"));
    await download();
    await queen.stop();
    const events = readFileSync(join(state, "audit.log"), "utf8").trim().split("\n").map((l) => JSON.parse(l).event);
    expect(events).toContain("audit_gap");
    const verify = await runRbee(["audit", "verify"], { RBEE_HOME: home.home });
    expect(verify.stdout).toMatch(/^ok: \d+ record\(s\), chain intact/);
  });
});
