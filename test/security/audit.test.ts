import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runRbee, startRbeeDaemon, tempHome, type Daemon } from "../helpers/rbee-binary.ts";
import { fingerprint } from "../../src/security/api-token.ts";

describe("compiled rbee: the audit log", () => {
  let home: ReturnType<typeof tempHome>;
  let queen: Daemon;
  let log: string;

  beforeEach(async () => {
    home = tempHome();
    log = join(home.home, "state", "audit.log");
    queen = await startRbeeDaemon(["serve", "--port", "0"], { RBEE_HOME: home.home, RBEE_AUDIT: "1", RBEE_API_TOKEN: "audit-test-token" });
    const env = { RBEE_HOME: home.home, RBEE_QUEEN_URL: queen.url, RBEE_API_TOKEN: "audit-test-token" };
    expect((await runRbee(["status"], env)).code).toBe(0);
    expect((await runRbee(["model", "create-demo"], env)).code).toBe(0);
    expect((await runRbee(["status"], { ...env, RBEE_API_TOKEN: "wrong" })).code).toBe(1);
  });
  afterEach(async () => {
    await queen.stop();
    home.cleanup();
  });

  it("records auth, jobs and model events, each chained to the one before, with who asked and the job's correlation id", async () => {
    const records = readFileSync(log, "utf8").trim().split("\n").map((l) => JSON.parse(l));
    const events = records.map((r) => r.event);
    expect(events).toEqual(expect.arrayContaining(["auth_failure", "job_created", "job_finished", "model_download"]));
    // Reads (status) are not audited, like GETs; the demo model's job is, from start to end.
    const download = records.find((r) => r.event === "model_download");
    const who = { job_id: download.job_id, correlation_id: expect.any(String), actor_token: fingerprint("audit-test-token") };
    expect(records.filter((r) => r.job_id === download.job_id).map((r) => r.event)).toEqual(["job_created", "model_download", "job_finished"]);
    for (const r of records.filter((r) => r.job_id === download.job_id)) expect(r).toMatchObject(who);
    expect(records.find((r) => r.event === "auth_failure")).toMatchObject({ code: "INVALID_API_KEY", source: "127.0.0.1", actor_token: fingerprint("wrong") });
    for (let i = 1; i < records.length; i++) expect(records[i].prev).toBe(records[i - 1].hash);
    const verify = await runRbee(["audit", "verify"], { RBEE_HOME: home.home });
    expect(verify.code).toBe(0);
    expect(verify.stdout).toMatch(new RegExp(`ok: ${records.length} record\\(s\\), chain intact`));
    // the token itself never reaches the log
    expect(readFileSync(log, "utf8")).not.toContain("audit-test-token");
  });

  it("verify names the first edited line, and the first line after a removed one", async () => {
    await queen.stop();
    const lines = readFileSync(log, "utf8").trim().split("\n");
    const edited = [...lines];
    edited[2] = edited[2].replace(/"event":"[a-z_]+"/, '"event":"nothing_happened"');
    writeFileSync(log, `${edited.join("\n")}\n`);
    const tampered = await runRbee(["audit", "verify"], { RBEE_HOME: home.home });
    expect(tampered.code).toBe(1);
    expect(tampered.stdout).toMatch(/TAMPERED: 1 problem/);
    expect(tampered.stdout).toMatch(/audit\.log line 3: the record was changed after it was written/);

    writeFileSync(log, `${lines.filter((_, i) => i !== 1).join("\n")}\n`);
    const missing = await runRbee(["audit", "verify", "--json"], { RBEE_HOME: home.home });
    // The chain breaks at line 2, and the seal counts one record more than the file holds.
    expect(JSON.parse(missing.stdout)).toMatchObject({ ok: false, line: 2, missing: 1 });
  });
});
