import { describe, expect, it } from "vitest";
import { pidAlive } from "../../src/lifecycle/health.ts";
import type { WorkerInfo } from "../../src/hive/worker-process.ts";
import { runRbee, startRbeeDaemon, tempHome } from "../helpers/rbee-binary.ts";

describe("compiled rbee: stopping a hive stops its workers", () => {
  for (const how of ["SIGTERM", "shutdown request"] as const) {
    it(`${how}: exit 0 and no worker process left`, async () => {
      const home = tempHome();
      for (const role of [[], ["--role", "hive", "--hive-id", "solo"]]) {
        const daemon = await startRbeeDaemon(["serve", "--port", "0", ...role], { RBEE_HOME: home.home });
        try {
          // a standalone hive takes jobs on its own job API, exactly like the queen
          const env = { RBEE_HOME: home.home, RBEE_QUEEN_URL: daemon.url };
          expect((await runRbee(["model", "create-demo"], env)).code).toBe(0);
          const spawned = await runRbee(["worker", "spawn", "--model", "demo-tiny", "--json"], env);
          const worker = spawned.stdout.trim().split("\n").map((l) => JSON.parse(l)).find((l) => l.kind === "result").result as WorkerInfo;
          expect(pidAlive(worker.pid!)).toBe(true);
          if (how === "SIGTERM") daemon.proc.kill("SIGTERM");
          else await fetch(`${daemon.url}/v1/shutdown`, { method: "POST" });
          expect(await daemon.proc.exited).toBe(0);
          expect(pidAlive(worker.pid!)).toBe(false);
        } finally {
          await daemon.stop();
        }
      }
      home.cleanup();
    });
  }
});
