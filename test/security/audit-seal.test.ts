import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { audit, resetAudit } from "../../src/security/audit-log.ts";
import { runRbee, startRbeeDaemon, tempHome } from "../helpers/rbee-binary.ts";

const lines = (file: string) => readFileSync(file, "utf8").trim().split("\n");
const keep = (file: string, count: number) => writeFileSync(file, lines(file).slice(0, count).map((l) => `${l}\n`).join(""));

/** Writes `count` records with this process's writer (the same code the daemons run). */
function seed(home: string, count: number, env: Record<string, string> = {}) {
  const saved = { ...process.env };
  Object.assign(process.env, { RBEE_HOME: home, RBEE_AUDIT: "1", ...env });
  resetAudit();
  try {
    for (let i = 0; i < count; i++) expect(audit("test_event", { i })).toBe(true);
  } finally {
    process.env = saved;
    resetAudit();
  }
}

describe("compiled rbee audit verify: the seal catches a cut tail", () => {
  let home: ReturnType<typeof tempHome>;
  let log: string;
  const verify = async () => {
    const r = await runRbee(["audit", "verify", "--json"], { RBEE_HOME: home.home });
    return { code: r.code, ...JSON.parse(r.stdout) };
  };
  beforeEach(() => {
    home = tempHome();
    log = join(home.home, "state", "audit.log");
    seed(home.home, 600);
  });
  afterEach(() => home.cleanup());

  it("the last line, the last 500, or everything removed: each reported with the number missing", async () => {
    const whole = readFileSync(log, "utf8");
    expect(await verify()).toMatchObject({ code: 0, ok: true, records: 600 });

    keep(log, 599);
    expect(await verify()).toMatchObject({ code: 1, ok: false, missing: 1, problem: "1 record(s) missing: the seal counts 600, it holds 599" });
    keep(log, 100);
    expect(await verify()).toMatchObject({ code: 1, missing: 500 });
    writeFileSync(log, "");
    expect(await verify()).toMatchObject({ code: 1, missing: 600, problem: "600 record(s) missing: the seal counts 600, it is empty" });
    rmSync(log);
    expect(await verify()).toMatchObject({ code: 1, missing: 600, problem: "600 record(s) missing: the seal counts 600, the file is gone" });

    writeFileSync(log, whole);
    const text = await runRbee(["audit", "verify"], { RBEE_HOME: home.home });
    expect(text.stdout).toMatch(/^ok: 600 record\(s\), chain intact/);
  });

  it("the last 20 deleted, then the queen restarted: the cut file is kept under its seal, and verify still says 20 are missing", async () => {
    keep(log, 580);
    const queen = await startRbeeDaemon(["serve", "--port", "0"], { RBEE_HOME: home.home, RBEE_AUDIT: "1", RBEE_API_TOKEN: "seal-token" });
    await queen.waitFor(/audit_seal_mismatch/);
    // A change, recorded in the fresh file after the note about the cut.
    expect((await fetch(`${queen.url}/v1/jobs/nope`, { method: "DELETE", headers: { authorization: "Bearer seal-token" } })).status).toBe(404);
    await queen.stop();

    const result = await verify();
    expect(result).toMatchObject({ code: 1, missing: 20, files: ["audit.log.1", "audit.log"], records: 582 });
    expect(result.problems).toEqual([{ file: "audit.log.1", missing: 20, problem: "20 record(s) missing: the seal counts 600, it holds 580" }]);
    expect(JSON.parse(lines(log)[0])).toMatchObject({ event: "audit_seal_mismatch", file: "audit.log.1", sealed: 600, found: 580 });
  });
});

describe("compiled rbee: audit log rotation and growth", () => {
  let home: ReturnType<typeof tempHome>;
  beforeEach(() => (home = tempHome()));
  afterEach(() => home.cleanup());

  it("rotates by size and deletes the oldest past keep_files; the chain runs on across files and verify walks them all", async () => {
    const queen = await startRbeeDaemon(["serve", "--port", "0"], { RBEE_HOME: home.home, RBEE_AUDIT: "1", RBEE_API_TOKEN: "rotate-token", RBEE_AUDIT_MAX_BYTES: "2048", RBEE_AUDIT_KEEP: "3" });
    for (let i = 0; i < 60; i++) {
      const res = await fetch(`${queen.url}/v1/jobs/job-${i}`, { method: "DELETE", headers: { authorization: "Bearer rotate-token" } });
      expect(res.status).toBe(404);
    }
    await queen.stop();
    const r = await runRbee(["audit", "verify", "--json"], { RBEE_HOME: home.home });
    const result = JSON.parse(r.stdout);
    expect(r.code).toBe(0);
    expect(result.files).toHaveLength(4);
    expect(result.files.at(-1)).toBe("audit.log");
    expect(result.pruned).toBeGreaterThan(0);
    expect(result.records + result.pruned).toBe(60);
    // Each file's first record chains to the last record of the file before it.
    const files = result.files.map((f: string) => lines(join(home.home, "state", f)).map((l) => JSON.parse(l)));
    for (let i = 1; i < files.length; i++) expect(files[i][0].prev).toBe(files[i - 1].at(-1).hash);
    for (const f of files.flat()) expect(JSON.stringify(f).length).toBeLessThan(2048);

    rmSync(join(home.home, "state", result.files[1]));
    const gone = JSON.parse((await runRbee(["audit", "verify", "--json"], { RBEE_HOME: home.home })).stdout);
    expect(gone).toMatchObject({ ok: false, missing: files[1].length });
    expect(gone.problems[0].problem).toMatch(/the file is gone/);
  });

  it("2,000 failed authentications with 14 KB paths grow the log by a few records, not 27 MB", async () => {
    const queen = await startRbeeDaemon(["serve", "--port", "0"], { RBEE_HOME: home.home, RBEE_AUDIT: "1", RBEE_API_TOKEN: "growth-token" });
    const path = `/v1/jobs/${"x".repeat(14_000)}`;
    let sent = 0;
    const statuses = new Set<number>();
    const one = async () => {
      while (sent < 2000) {
        const headers: Record<string, string> = sent++ % 2 ? { authorization: "Bearer wrong" } : {};
        const res = await fetch(`${queen.url}${path}`, { method: "POST", headers, body: "{}" });
        statuses.add(res.status);
        await res.arrayBuffer();
      }
    };
    await Promise.all(Array.from({ length: 16 }, one));
    expect([...statuses]).toEqual([401]);
    await queen.stop();

    const log = join(home.home, "state", "audit.log");
    const records = lines(log).map((l) => JSON.parse(l));
    expect(readFileSync(log).length).toBeLessThan(8 * 1024);
    // One record at once per source and code, then one with the count of the rest.
    expect(records.map((r) => r.event).sort()).toEqual(["auth_failure", "auth_failure", "auth_failure_repeated", "auth_failure_repeated"]);
    expect(records.filter((r) => r.event === "auth_failure_repeated").reduce((n, r) => n + r.count, 0)).toBe(1998);
    for (const r of records.filter((r) => r.event === "auth_failure")) expect(r.path).toMatch(/…\(14009 chars\)$/);
    expect((await runRbee(["audit", "verify"], { RBEE_HOME: home.home })).code).toBe(0);
  });
});
