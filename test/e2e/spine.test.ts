import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readSse } from "../../src/keeper/sse-reader.ts";
import { runRbee, startRbeeDaemon, tempHome, type Daemon } from "../helpers/rbee-binary.ts";

describe("compiled rbee: serve, status, the job API", () => {
  let home: ReturnType<typeof tempHome>;
  let queen: Daemon;

  beforeEach(async () => {
    home = tempHome();
    queen = await startRbeeDaemon(["serve", "--port", "0"], { RBEE_HOME: home.home });
  });
  afterEach(async () => {
    await queen?.stop();
    home.cleanup();
  });

  it("rbee status prints narration on stderr and the result on stdout, exit 0", async () => {
    const res = await runRbee(["status", "--queen-url", queen.url], { RBEE_HOME: home.home });
    expect(res.code).toBe(0);
    expect(res.stderr).toMatch(/\[queen\] queen \d+\.\d+\.\d+ up/);
    expect(res.stdout).toMatch(/^version\s+\d+\.\d+\.\d+/m);
    expect(res.stdout).toMatch(/^jobs\s+queued/m);
  });

  it("rbee status --json prints every event as NDJSON, ending with the outcome", async () => {
    const res = await runRbee(["status", "--json"], { RBEE_HOME: home.home, RBEE_QUEEN_URL: queen.url });
    const lines = res.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.map((l) => l.kind)).toEqual(["narration", "result", "end"]);
    expect(lines[2].state).toBe("completed");
  });

  it("a raw SSE read of a job's stream shows typed events and one [DONE]", async () => {
    const created = await fetch(`${queen.url}/v1/jobs`, { method: "POST", body: JSON.stringify({ operation: "status" }) });
    expect(created.status).toBe(201);
    const { job_id, sse_url } = (await created.json()) as { job_id: string; sse_url: string };
    const res = await fetch(`${queen.url}${sse_url}`);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const messages = [];
    for await (const m of readSse(res.body!)) messages.push(m);
    expect(messages.map((m) => m.event ?? m.data)).toEqual(["narration", "result", "[DONE]"]);
    const info = (await (await fetch(`${queen.url}/v1/jobs/${job_id}`)).json()) as { state: string };
    expect(info.state).toBe("completed");
  });

  it("a malformed or unknown operation is refused with 400 and creates no job", async () => {
    for (const body of ["{not json", JSON.stringify({ operation: "launch_rockets" }), JSON.stringify({ operation: "worker_spawn", hive_id: "a b" })]) {
      const res = await fetch(`${queen.url}/v1/jobs`, { method: "POST", body });
      expect(res.status).toBe(400);
      const { error } = (await res.json()) as { error: { code: string; message: string } };
      expect(error.code).toMatch(/INVALID_(JSON|OPERATION)/);
    }
    const { jobs } = (await (await fetch(`${queen.url}/v1/jobs`)).json()) as { jobs: unknown[] };
    expect(jobs).toEqual([]);
  });

  it("an unknown job is a 404 for the API and exit 1 for the CLI", async () => {
    expect((await fetch(`${queen.url}/v1/jobs/job-nope`)).status).toBe(404);
    const res = await runRbee(["jobs", "get", "job-nope", "--queen-url", queen.url], { RBEE_HOME: home.home });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain("JOB_NOT_FOUND");
  });
});

describe("compiled rbee: the command line", () => {
  it("--help lists commands, --version prints the version, misuse exits 2", async () => {
    const help = await runRbee(["--help"], {});
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("rbee status");
    expect((await runRbee(["--version"], {})).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const typo = await runRbee(["stauts"], {});
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('unknown command "stauts"');
    expect((await runRbee(["serve", "--port", "nope"], {})).code).toBe(2);
  });

  it("with auto-start off, a queen that does not answer is a clear error, exit 1", async () => {
    // (RBEE_NO_AUTOSTART: a loopback URL would otherwise get a queen started on it)
    const res = await runRbee(["status", "--queen-url", "http://127.0.0.1:9"], { RBEE_NO_AUTOSTART: "1" });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain("QUEEN_NOT_RUNNING: no queen answers on http://127.0.0.1:9");
  });
});
