import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DaemonClient } from "../../src/keeper/daemon-client.ts";
import { runRbee, startKeeper, startRbeeDaemon, tempHome, type Daemon } from "../helpers/rbee-binary.ts";
import { startStallingServer } from "../helpers/slow-server.ts";

describe("compiled rbee: Ctrl-C, SIGTERM and SIGHUP cancel the job on the queen; --detach leaves it running", () => {
  let home: ReturnType<typeof tempHome>;
  let queen: Daemon;
  let source: Awaited<ReturnType<typeof startStallingServer>>;

  beforeEach(async () => {
    home = tempHome();
    source = await startStallingServer();
    queen = await startRbeeDaemon(["serve", "--port", "0"], { RBEE_HOME: home.home });
  });
  afterEach(async () => {
    await queen.stop();
    await source.stop();
    home.cleanup();
  });

  const downloadingKeeper = () => startKeeper(["model", "download", source.url, "--queen-url", queen.url], { RBEE_HOME: home.home }, /downloading/);

  for (const [signal, exit] of [["SIGINT", 130], ["SIGTERM", 143], ["SIGHUP", 129]] as const) {
    it(`${signal} during a download: the job ends [CANCELLED] on the queen, the keeper exits ${exit}`, async () => {
      const { proc, finished } = await downloadingKeeper();
      proc.kill(signal);
      const { code, stderr } = await finished();
      expect(code).toBe(exit);
      expect(stderr).toMatch(/cancelling job-[0-9a-f]+ …\n[^]*job cancelled[^]*\ncancelled\n$/);
      const jobs = await new DaemonClient(queen.url).list();
      expect(jobs.map((j) => [j.operation, j.state])).toEqual([["model_download", "cancelled"]]);
    });
  }

  it("--detach submits, prints the job id and exits 0, leaving the job running on the queen", async () => {
    const res = await runRbee(["model", "download", source.url, "--detach", "--queen-url", queen.url], { RBEE_HOME: home.home });
    expect(res.code).toBe(0);
    const jobId = res.stdout.trim();
    expect(jobId).toMatch(/^job-[0-9a-f]+$/);
    expect(res.stderr).toBe(`submitted ${jobId}; follow it with \`rbee jobs logs ${jobId}\`, cancel it with \`rbee jobs cancel ${jobId}\`\n`);
    const client = new DaemonClient(queen.url);
    expect((await client.get(jobId)).state).toBe("running");
    await client.cancel(jobId);
  });

  it("rbee jobs cancel ends a job; rbee jobs logs replays its story and exits 130", async () => {
    const client = new DaemonClient(queen.url);
    const { job_id } = await client.submit({ operation: "model_download", hive_id: "localhost", model: source.url });
    // wait until the download runs (its story says so), then cancel it from the CLI
    await client.stream(job_id, { onEvent: (e) => { if (e.kind === "narration" && /downloading/.test(e.human)) void runRbee(["jobs", "cancel", job_id, "--queen-url", queen.url], { RBEE_HOME: home.home }); } });
    const logs = await runRbee(["jobs", "logs", job_id, "--queen-url", queen.url], { RBEE_HOME: home.home });
    expect(logs.code).toBe(130);
    expect(logs.stderr).toMatch(/downloading stalled\.gguf[\s\S]*job cancelled/);
    const again = await runRbee(["jobs", "cancel", job_id, "--queen-url", queen.url], { RBEE_HOME: home.home });
    expect(again.stdout).toContain("had already ended (cancelled)");
  });
});
