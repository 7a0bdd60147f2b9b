import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeDemoModel } from "../../src/model/gguf-writer.ts";
import type { HiveEntry } from "../../src/queen/hive-directory.ts";
import { runRbee, startRbeeDaemon, tempHome, type Daemon } from "../helpers/rbee-binary.ts";

const MASTER = "master-token-of-the-queen-0123456789";

/** A server that says it is a hive and records every request it gets (an attacker's, or a hive that moved). */
function fakeHive() {
  const seen: { path: string; authorization: string | null }[] = [];
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch(req) {
      const path = new URL(req.url).pathname;
      if (path === "/health") return Response.json({ status: "ok", role: "hive" });
      seen.push({ path, authorization: req.headers.get("authorization") });
      return Response.json({ error: { code: "NOPE", message: "fake hive" } }, { status: 500 });
    },
  });
  return { url: `http://127.0.0.1:${server.port}`, seen, stop: () => server.stop(true) };
}

describe("compiled rbee: a hive token speaks only for its own hive", () => {
  const qHome = tempHome();
  const hHome = tempHome();
  let queen: Daemon;
  let gpu1: Daemon;
  let attacker: ReturnType<typeof fakeHive>;
  let gpu1Token: string;
  let h1Token: string;
  let env: Record<string, string>;

  const beat = (token: string, body: Record<string, unknown>) =>
    fetch(`${queen.url}/v1/hives/heartbeat`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify({ workers: [], ...body }) });
  const errorOf = async (res: Response) => ((await res.json()) as { error: { code: string; message: string } }).error;
  // The hives the queen routes to (a hive with a token bound but never started is listed as stopped).
  const hiveIds = async () =>
    (await runRbee(["hive", "list", "--json"], env)).stdout.trim().split("\n").map((l) => JSON.parse(l) as HiveEntry).filter((h) => h.state === "online").map((h) => h.id).sort();

  beforeAll(async () => {
    attacker = fakeHive();
    env = { RBEE_HOME: qHome.home, RBEE_API_TOKEN: MASTER };
    queen = await startRbeeDaemon(["serve", "--port", "0"], env);
    env.RBEE_QUEEN_URL = queen.url;
    gpu1Token = (await runRbee(["hive", "token", "gpu1"], env)).stdout.trim();
    h1Token = (await runRbee(["hive", "token", "h1"], env)).stdout.trim();
    expect(gpu1Token).toMatch(/^[0-9a-f]{64}$/);
    // The hive holds only its own token; RBEE_QUEEN_TOKEN and HF_TOKEN are set to see that workers never get them.
    gpu1 = await startRbeeDaemon(["serve", "--role", "hive", "--port", "0", "--hive-id", "gpu1", "--queen-url", queen.url], {
      RBEE_HOME: hHome.home,
      RBEE_API_TOKEN: gpu1Token,
      RBEE_QUEEN_TOKEN: gpu1Token,
      HF_TOKEN: "hf-secret",
    });
    await queen.waitFor(/hive gpu1 registered/);
  });
  afterAll(async () => {
    await Promise.all([gpu1?.stop(), queen?.stop()]);
    attacker.stop();
    qHome.cleanup();
    hHome.cleanup();
  });

  it("refuses heartbeats for another hive, from the master token, or moving a hive; nothing reaches the attacker", async () => {
    const other = await beat(gpu1Token, { hive_id: "evil", url: attacker.url, workers: [{ worker_id: "w1", model: "demo-tiny", state: "ready", slots: 64, busy: 0 }] });
    expect(other.status).toBe(403);
    expect((await errorOf(other)).code).toBe("HIVE_TOKEN_MISMATCH");
    const stolen = await beat(gpu1Token, { hive_id: "h1", url: attacker.url });
    expect(stolen.status).toBe(403);
    expect((await errorOf(stolen)).message).toBe("this token belongs to hive gpu1; it cannot speak for hive h1");
    const master = await beat(MASTER, { hive_id: "evil", url: attacker.url });
    expect(master.status).toBe(403);
    expect((await errorOf(master)).code).toBe("HIVE_TOKEN_REQUIRED");
    const moved = await beat(gpu1Token, { hive_id: "gpu1", url: attacker.url });
    expect(moved.status).toBe(409);
    expect((await errorOf(moved)).code).toBe("HIVE_URL_PINNED");

    expect(await hiveIds()).toEqual(["gpu1", "localhost"]);
    // A user's OpenAI request for the model the fake heartbeat claimed goes nowhere near the attacker.
    const chat = await fetch(`${queen.url}/v1/chat/completions`, { method: "POST", headers: { authorization: `Bearer ${MASTER}` }, body: JSON.stringify({ model: "demo-tiny", messages: [{ role: "user", content: "secret prompt" }] }) });
    expect(chat.status).toBe(404);
    expect(attacker.seen).toEqual([]);
  });

  it("refuses a hive URL that loops back to the queen, and starts no job", async () => {
    const jobsBefore = ((await (await fetch(`${queen.url}/v1/jobs`, { headers: { authorization: `Bearer ${MASTER}` } })).json()) as unknown[]).length;
    const loop = await beat(h1Token, { hive_id: "h1", url: queen.url });
    expect(loop.status).toBe(400);
    expect((await errorOf(loop)).message).toMatch(/answers as a queen; refusing it/);
    const jobsAfter = ((await (await fetch(`${queen.url}/v1/jobs`, { headers: { authorization: `Bearer ${MASTER}` } })).json()) as unknown[]).length;
    expect(jobsAfter).toBe(jobsBefore);
    expect(await hiveIds()).toEqual(["gpu1", "localhost"]);
  });

  it("calls each hive with that hive's own token, never with the queen's", async () => {
    // gpu1 accepts only its own token: a forwarded job that works shows the queen sent it.
    expect((await runRbee(["model", "create-demo", "--hive", "gpu1"], env)).code).toBe(0);
    // h1 registers at a server that records what the queen sends it.
    expect((await beat(h1Token, { hive_id: "h1", url: attacker.url })).status).toBe(200);
    const res = await runRbee(["model", "list", "--hive", "h1"], env);
    expect(res.code).toBe(1);
    expect(attacker.seen.length).toBeGreaterThan(0);
    for (const r of attacker.seen) expect(r.authorization).toBe(`Bearer ${h1Token}`);
  });

  it("a hive's workers inherit neither its queen token nor other secrets", async () => {
    const spawn = await runRbee(["worker", "spawn", "--model", "demo-tiny", "--hive", "gpu1", "--json"], env);
    expect(spawn.code).toBe(0);
    const list = await runRbee(["worker", "list", "--hive", "gpu1", "--json"], env);
    const worker = JSON.parse(list.stdout.trim().split("\n")[0]) as { pid: number };
    const environ = readFileSync(`/proc/${worker.pid}/environ`, "utf8").split("\0");
    expect(environ.filter((e) => /^(RBEE_QUEEN_TOKEN|HF_TOKEN)=/.test(e))).toEqual([]);
    const own = environ.find((e) => e.startsWith("RBEE_API_TOKEN="))!.slice("RBEE_API_TOKEN=".length);
    expect([gpu1Token, MASTER]).not.toContain(own);
  });

  it("a model file on the keeper's machine goes up to the remote hive through the queen, with that hive's token", async () => {
    const folder = mkdtempSync(join(tmpdir(), "rbee-user-"));
    try {
      writeDemoModel(join(folder, "mine.gguf"));
      const res = await runRbee(["model", "download", "./mine.gguf", "--hive", "gpu1"], env, 60_000, folder);
      expect(res.stderr).toMatch(/uploading .*mine\.gguf .* to hive gpu1/);
      expect(res.code).toBe(0);
      const models = (await runRbee(["model", "list", "--hive", "gpu1", "--json"], env)).stdout;
      expect(models).toContain('"id":"mine"');
      // The daemon never opened the user's path: the file is now a copy in gpu1's own folders.
      expect(models).not.toContain(folder);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it("`rbee hive forget` lets a hive that moved register at its new URL", async () => {
    const moved = fakeHive();
    try {
      expect((await beat(h1Token, { hive_id: "h1", url: moved.url })).status).toBe(409);
      const forget = await runRbee(["hive", "forget", "h1"], env);
      expect(forget.code).toBe(0);
      expect(forget.stdout).toMatch(/forgot h1/);
      expect((await beat(h1Token, { hive_id: "h1", url: moved.url })).status).toBe(200);
      const unknown = await runRbee(["hive", "forget", "nope"], env);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toMatch(/no hive named nope/);
    } finally {
      moved.stop();
    }
  });

  it("every 401 names the Bearer scheme (RFC 6750)", async () => {
    for (const [path, init] of [
      ["/v1/jobs", {}],
      ["/v1/chat/completions", { method: "POST", body: "{}" }],
      ["/v1/hives/heartbeat", { method: "POST", body: "{}", headers: { authorization: "Bearer wrong" } }],
    ] as const) {
      const res = await fetch(`${queen.url}${path}`, init as RequestInit);
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toMatch(/^Bearer realm="rbee"/);
    }
  });
});
