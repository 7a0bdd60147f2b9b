/**
 * The fault suite: bounded in count and time, loopback only, compiled binaries. Prints one
 * table of figures against the targets.   Run: bun run build && bun bench/faults.ts
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DaemonClient } from "../src/keeper/daemon-client.ts";
import { readSse } from "../src/keeper/sse-reader.ts";
import type { WorkerInfo } from "../src/hive/worker-process.ts";
import type { HiveEntry } from "../src/queen/hive-directory.ts";
import { badBodies } from "./fault-bodies.ts";
import { spawnDaemon, type BenchDaemon } from "./bench-daemon.ts";
import { writeLocalHiveToken } from "../src/ssh/hive-token.ts";
import { sigstopWorkerMidStream, stalledDownload } from "./fault-stalls.ts";

const TOKEN = "fault-suite-token";
const rows: [string, string, string][] = [];
const row = (what: string, figure: string, target: string) => {
  rows.push([what, figure, target]);
  console.error(`  ${what}: ${figure}`);
};
const home = () => mkdtempSync(join(tmpdir(), "rbee-faults-"));
const auth = { authorization: `Bearer ${TOKEN}` };
const until = async <T>(f: () => Promise<T | undefined>, ms: number): Promise<T | undefined> => {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = await f().catch(() => undefined);
    if (v) return v;
    await Bun.sleep(20);
  }
  return undefined;
};

async function hammer(name: string, url: string, count: number, token: string) {
  let fourxx = 0;
  let i = 0;
  const bodies = badBodies();
  const one = async () => {
    while (i < count) {
      const body = bodies[i++ % bodies.length];
      const res = await fetch(url, { method: "POST", body: body as BodyInit, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" } }).catch(() => undefined);
      if (res && res.status >= 400 && res.status < 500) fourxx++;
      await res?.arrayBuffer().catch(() => {});
    }
  };
  await Promise.all(Array.from({ length: 32 }, one));
  return { name, share: fourxx / count };
}

/** A hive token speaking for a hive it was not bound to: the queen refuses, and routes nothing there. */
async function impersonation(queenUrl: string, hiveToken: string): Promise<string> {
  let routed = 0;
  const attacker = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: (req) => (new URL(req.url).pathname === "/health" ? Response.json({ role: "hive" }) : (routed++, new Response("", { status: 500 }))) });
  try {
    const workers = [{ worker_id: "w1", model: "demo-tiny", state: "ready", slots: 64, busy: 0 }];
    const beat = await fetch(`${queenUrl}/v1/hives/heartbeat`, { method: "POST", headers: { authorization: `Bearer ${hiveToken}` }, body: JSON.stringify({ hive_id: "evil", url: `http://127.0.0.1:${attacker.port}`, workers }) });
    const chats = await Promise.all(Array.from({ length: 10 }, () => fetch(`${queenUrl}/v1/chat/completions`, { method: "POST", headers: auth, body: JSON.stringify({ model: "demo-tiny", max_tokens: 2, messages: [{ role: "user", content: "secret" }] }) }).then((r) => r.status)));
    return `heartbeat ${beat.status}, ${routed} requests routed to the attacker (10 chats: ${[...new Set(chats)].join(", ")})`;
  } finally {
    attacker.stop(true);
  }
}

const tmpHomes: string[] = [];
const daemons: BenchDaemon[] = [];
try {
  const qHome = home();
  tmpHomes.push(qHome);
  const env = { RBEE_HOME: qHome, RBEE_API_TOKEN: TOKEN };
  const queen = await spawnDaemon(["serve", "--port", "0"], env);
  daemons.push(queen);
  const client = new DaemonClient(queen.url, TOKEN);
  const run = async (op: Record<string, unknown>) => {
    const { job_id } = await client.submit(op as never);
    let result: unknown;
    await client.stream(job_id, { onEvent: (e) => e.kind === "result" && (result = e.result) });
    return result;
  };
  const demo = (await run({ operation: "model_download", model: "demo:tiny" })) as { path: string };
  // Each hive holds a token of its own, bound to its id on the queen (as `rbee hive token ID` does).
  const hiveTokens: Record<string, string> = { h1: `${TOKEN}-h1-0123456789abcdef`, h2: `${TOKEN}-h2-0123456789abcdef` };
  for (const [id, token] of Object.entries(hiveTokens)) writeLocalHiveToken(id, token, { RBEE_HOME: qHome });

  // 1. bad bodies against each daemon
  const hHome = home();
  tmpHomes.push(hHome);
  const hive = await spawnDaemon(["serve", "--role", "hive", "--port", "0", "--hive-id", "h1", "--queen-url", queen.url], { RBEE_HOME: hHome, RBEE_API_TOKEN: hiveTokens.h1 });
  daemons.push(hive);
  const worker = await spawnDaemon(["worker", "serve", "--model", demo.path, "--port", "0"], { RBEE_HOME: qHome, RBEE_API_TOKEN: TOKEN }, /"event":"ready","port":(\d+)/);
  daemons.push(worker);
  for (const [name, url, token] of [["queen", `${queen.url}/v1/jobs`, TOKEN], ["hive", `${hive.url}/v1/jobs`, hiveTokens.h1], ["worker", `${worker.url}/v1/inference`, TOKEN]]) {
    const jobsBefore = name === "worker" ? 0 : (await new DaemonClient(url.replace("/v1/jobs", ""), token).list()).length;
    const r = await hammer(name, url, 10_000, token);
    const alive = (await fetch(url.replace(/\/v1\/.*/, "/health")).catch(() => undefined))?.ok ?? false;
    const jobsAfter = name === "worker" ? 0 : (await new DaemonClient(url.replace("/v1/jobs", ""), token).list()).length;
    row(`10,000 bad bodies → ${name}`, `${(r.share * 100).toFixed(2)}% 4xx, ${alive ? "alive" : "DEAD"}, ${jobsAfter - jobsBefore} jobs created`, "100% 4xx, alive, 0 jobs");
  }
  worker.stop();

  // 2. kill -9 of a worker mid-stream
  const w = (await run({ operation: "worker_spawn", model: "demo-tiny" })) as WorkerInfo;
  const { job_id } = await client.submit({ operation: "infer", model: "demo-tiny", prompt: "go", max_tokens: 4000 });
  let killedAt = 0;
  const outcome = await client.stream(job_id, {
    onEvent: (e) => {
      if (e.kind === "token" && !killedAt) {
        killedAt = performance.now();
        process.kill(w.pid!, "SIGKILL");
      }
    },
  });
  const errorAfter = performance.now() - killedAt;
  const back = await until(async () => {
    const info = (await run({ operation: "worker_get", worker_id: w.worker_id })) as WorkerInfo;
    return info.state === "ready" && info.pid !== w.pid ? info : undefined;
  }, 15_000);
  row("worker kill -9 mid-stream → client [ERROR]", `${outcome.state === "failed" ? "[ERROR]" : outcome.state} after ${errorAfter.toFixed(0)} ms`, "≤ 1000 ms");
  row("… worker back by policy", back ? `ready again after ${((performance.now() - killedAt) / 1000).toFixed(1)} s (restart ${back.restarts})` : "NOT BACK", "restarted");

  // 3. a hive killed; the queen restarted
  const hiveKilled = performance.now();
  hive.proc.kill("SIGKILL");
  await until(async () => ((await run({ operation: "hive_list" })) as HiveEntry[]).find((h) => h.id === "h1" && h.state === "offline"), 10_000);
  row("hive kill -9 → queen shows it offline", `${((performance.now() - hiveKilled) / 1000).toFixed(2)} s`, "≤ 3 s");
  const h2Home = home();
  tmpHomes.push(h2Home);
  const hive2 = await spawnDaemon(["serve", "--role", "hive", "--port", "0", "--hive-id", "h2", "--queen-url", queen.url], { RBEE_HOME: h2Home, RBEE_API_TOKEN: hiveTokens.h2 });
  daemons.push(hive2);
  await until(async () => ((await run({ operation: "hive_list" })) as HiveEntry[]).find((h) => h.id === "h2"), 10_000);
  const port = new URL(queen.url).port;
  queen.stop();
  await queen.proc.exited;
  const restartedAt = performance.now();
  const queen2 = await spawnDaemon(["serve", "--port", port], env);
  daemons.push(queen2);
  const client2 = new DaemonClient(queen2.url, TOKEN);
  const again = await until(async () => {
    const { job_id: id } = await client2.submit({ operation: "hive_list" });
    let list: HiveEntry[] = [];
    await client2.stream(id, { onEvent: (e) => e.kind === "result" && (list = e.result as HiveEntry[]) });
    return list.find((h) => h.id === "h2" && h.state === "online");
  }, 20_000);
  row("queen restarted → hives registered again", again ? `${((performance.now() - restartedAt) / 1000).toFixed(2)} s` : "NOT AGAIN", "registered");

  // 4. an SSE client that disconnects mid-inference frees the slot
  const w2 = await spawnDaemon(["worker", "serve", "--model", demo.path, "--port", "0", "--slots", "1"], { RBEE_HOME: qHome, RBEE_API_TOKEN: TOKEN }, /"event":"ready","port":(\d+)/);
  daemons.push(w2);
  const ac = new AbortController();
  const res = await fetch(`${w2.url}/v1/inference`, { method: "POST", headers: auth, body: JSON.stringify({ prompt: "go", max_tokens: 4000 }), signal: ac.signal });
  for await (const m of readSse(res.body!)) if (m.event === "token") break;
  const droppedAt = performance.now();
  ac.abort();
  const freed = await until(async () => ((await (await fetch(`${w2.url}/v1/info`, { headers: auth })).json()) as { busy: number }).busy === 0 || undefined, 5_000);
  row("SSE client disconnects mid-inference → slot freed", freed ? `freed after ${(performance.now() - droppedAt).toFixed(0)} ms` : "NOT FREED", "freed");
  w2.stop();

  // 5. 10,000 finished jobs
  for (let i = 0; i < 10_000; i += 100) {
    await Promise.all(Array.from({ length: 100 }, () => client2.submit({ operation: "status" })));
  }
  await Bun.sleep(200);
  const kept = (await client2.list()).length;
  row("10,000 finished jobs → registry size", `${kept} kept`, "bounded (≤ 1,000)");

  // 6. every route without a token / with a wrong token
  const routes: [string, string][] = [["GET", "/v1/info"], ["GET", "/v1/jobs"], ["POST", "/v1/jobs"], ["GET", "/v1/jobs/x"], ["GET", "/v1/jobs/x/stream"], ["DELETE", "/v1/jobs/x"], ["GET", "/v1/capabilities"], ["POST", "/v1/hives/heartbeat"], ["POST", "/v1/shutdown"], ["GET", "/health"]];
  let refused = 0;
  let healthOpen = false;
  for (const [method, path] of routes) {
    for (const headers of [{}, { authorization: "Bearer wrong" }] as Record<string, string>[]) {
      const r = await fetch(`${queen2.url}${path}`, { method, headers, body: method === "POST" ? "{}" : undefined });
      if (path === "/health") healthOpen ||= r.ok;
      else if (r.status === 401) refused++;
    }
  }
  row("routes without / with a wrong token → 401", `${refused}/${(routes.length - 1) * 2} refused, /health ${healthOpen ? "open" : "closed"}`, "all but /health");

  // 7. heartbeat impersonation: h2's token claims another hive at an attacker's URL
  row("heartbeat impersonation → refused, nothing routed", await impersonation(queen2.url, hiveTokens.h2), "403, 0 requests routed");

  // 8. things that hang: a stopped worker, a silent download source
  const stallContext = { token: TOKEN, home: () => (tmpHomes.push(home()), tmpHomes.at(-1)!), daemons, row };
  await sigstopWorkerMidStream(stallContext);
  await stalledDownload(stallContext);
} finally {
  for (const d of daemons) d.stop();
  await Promise.all(daemons.map((d) => d.proc.exited));
  for (const h of tmpHomes) rmSync(h, { recursive: true, force: true });
}

// 8. A full disk under the audit log: its own daemons and homes.
const auditHomes: string[] = [];
try {
  await auditDiskFull(auditHomes);
} finally {
  for (const h of auditHomes) rmSync(h, { recursive: true, force: true });
}

const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i].length), ["fault", "figure", "target"][i].length));
const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join(" | ");
console.log(line(["fault", "figure", "target"]));
console.log(widths.map((w) => "-".repeat(w)).join("-|-"));
for (const r of rows) console.log(line(r));

/**
 * Fills the state folder, where audit.log lives: a tiny tmpfs filled to the last byte when
 * we may mount one (root), else a directory where the file should be. Returns what it did
 * and how to undo it.
 */
function breakAuditDisk(rbeeHome: string): { how: string; undo: () => void } {
  const state = join(rbeeHome, "state");
  mkdirSync(state, { recursive: true });
  if (Bun.spawnSync(["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", state], { stderr: "ignore" }).exitCode === 0) {
    Bun.spawnSync(["dd", "if=/dev/zero", `of=${join(state, "filler")}`, "bs=1k", "count=64"], { stderr: "ignore" });
    return { how: "full 16 KiB tmpfs", undo: () => void Bun.spawnSync(["umount", state]) };
  }
  mkdirSync(join(state, "audit.log"));
  return { how: "directory in place of the file", undo: () => {} };
}

/** 7. A full disk under the audit log: requests are still answered, under either failure_action. */
async function auditDiskFull(tmpHomes: string[]) {
  for (const action of ["continue", "refuse"]) {
    const h = home();
    tmpHomes.push(h);
    const disk = breakAuditDisk(h);
    try {
      const q = await spawnDaemon(["serve", "--port", "0"], { RBEE_HOME: h, RBEE_API_TOKEN: TOKEN, RBEE_AUDIT: "1", RBEE_AUDIT_FAILURE_ACTION: action });
      try {
        const post = (headers: Record<string, string>) => fetch(`${q.url}/v1/jobs`, { method: "POST", headers, body: JSON.stringify({ operation: "model_download", model: "demo:tiny" }) });
        const bad = await post({ authorization: "Bearer wrong" });
        const change = await post(auth);
        const text = await change.text();
        let figure = `${change.status}`;
        if (change.status === 201) {
          const outcome = await new DaemonClient(q.url, TOKEN).stream(JSON.parse(text).job_id, { onEvent: () => {} });
          figure += `, job ${outcome.state}`;
        }
        const metrics = await (await fetch(`${q.url}/metrics`, { headers: auth })).text();
        const failures = metrics.match(/^rbee_audit_write_failures_total (\d+)$/m)?.[1] ?? "?";
        const leak = (await bad.text()).includes(h) || text.includes(h) ? ", PATH LEAKED" : "";
        row(`audit log on a ${disk.how}, ${action} → bad token, a change`, `${bad.status}, ${figure}; ${failures} failed writes counted${leak}`, action === "continue" ? "401, 201 + job completed" : "401, 503");
      } finally {
        q.stop();
        await q.proc.exited;
      }
    } finally {
      disk.undo();
    }
  }
}
