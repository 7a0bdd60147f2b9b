import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { formatKeepAlive, KEEP_FOREVER, parseDuration, parseKeepAlive, stallTimeouts } from "../../src/config/timeouts.ts";
import { tempHome } from "../helpers/rbee-binary.ts";

describe("stall timeouts", () => {
  let home: ReturnType<typeof tempHome>;
  let previous: string | undefined;
  beforeEach(() => {
    home = tempHome();
    previous = process.env.RBEE_HOME;
    process.env.RBEE_HOME = home.home;
  });
  afterEach(() => {
    if (previous === undefined) delete process.env.RBEE_HOME;
    else process.env.RBEE_HOME = previous;
    home.cleanup();
  });

  it("reads durations as people write them", () => {
    expect(["30s", "500ms", "2m", "45", "1.5s"].map((v) => parseDuration(v, "x"))).toEqual([30_000, 500, 120_000, 45_000, 1_500]);
    for (const bad of ["soon", "-1s", "0", "10h", "1e300", ""]) expect(() => parseDuration(bad, "the setting")).toThrow(/the setting must be a duration/);
  });

  it("defaults to 30 s; config.json, then the environment, then a flag win in turn", () => {
    const env = { RBEE_HOME: home.home };
    expect(stallTimeouts({}, env)).toEqual({ workerStallMs: 30_000, downloadStallMs: 30_000 });
    mkdirSync(join(home.home, "config"), { recursive: true });
    writeFileSync(join(home.home, "config", "config.json"), JSON.stringify({ worker_stall_timeout: "20s", download_stall_timeout: 90 }));
    expect(stallTimeouts({}, env)).toEqual({ workerStallMs: 20_000, downloadStallMs: 90_000 });
    expect(stallTimeouts({}, { ...env, RBEE_WORKER_STALL_TIMEOUT: "10s" }).workerStallMs).toBe(10_000);
    expect(stallTimeouts({ worker: "5s" }, { ...env, RBEE_WORKER_STALL_TIMEOUT: "10s" }).workerStallMs).toBe(5_000);
  });

  it("refuses a worker stall timeout too short to tell a slow prompt from a hang", () => {
    expect(() => stallTimeouts({ worker: "1s" })).toThrow(/worker stall timeout must be a duration from 2 s/);
  });
});

describe("keep-alive", () => {
  it("reads Ollama's forms: durations, hours, seconds as numbers, 0 (now) and any negative (never)", () => {
    expect(["5m", "3s", "1h", 30, "500ms", 0, "0", "0s", -1, "-1", "-5m"].map((v) => parseKeepAlive(v))).toEqual([300_000, 3_000, 3_600_000, 30_000, 500, 0, 0, 0, KEEP_FOREVER, KEEP_FOREVER, KEEP_FOREVER]);
    expect([3_000, 300_000, KEEP_FOREVER, 0, 1_500].map(formatKeepAlive)).toEqual(["3s", "5m", "never", "0s", "1500ms"]);
  });

  it("refuses anything else with a code and the forms it takes, naming the setting", () => {
    for (const bad of ["soon", "25h", "1e300", "", "5 minutes", "--1"]) {
      expect(() => parseKeepAlive(bad, "--keep-alive")).toThrow(expect.objectContaining({ code: "INVALID_KEEP_ALIVE", message: expect.stringMatching(/^--keep-alive must be a duration/) }));
    }
  });
});
