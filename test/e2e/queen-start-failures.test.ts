import { networkInterfaces } from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runRbee, startRbeeDaemon, tempHome, type Daemon } from "../helpers/rbee-binary.ts";

/** This machine's own (non-loopback) IPv4 address, if it has one. */
const ownAddress = Object.values(networkInterfaces()).flat().find((a) => a && a.family === "IPv4" && !a.internal)?.address;

describe("compiled rbee: a queen that cannot start exits at once, non-zero", () => {
  const home = tempHome();
  let busy: Daemon;
  beforeAll(async () => {
    busy = await startRbeeDaemon(["serve", "--port", "0", "--no-local-hive"], { RBEE_HOME: home.home });
  });
  afterAll(async () => {
    await busy?.stop();
    home.cleanup();
  });

  const start = (args: string[], env: Record<string, string> = {}) => runRbee(["serve", ...args], { RBEE_HOME: home.home, RBEE_API_TOKEN: "", ...env }, 10_000);

  it.each([
    ["0.0.0.0 without a token", ["--bind", "0.0.0.0", "--port", "0"], {}, "INSECURE_BIND"],
    [":: without a token", ["--bind", "::", "--port", "0"], {}, "INSECURE_BIND"],
    ["0.0.0.0 without a token and without the local hive", ["--bind", "0.0.0.0", "--port", "0", "--no-local-hive"], {}, "INSECURE_BIND"],
    ["0.0.0.0 with a 1-character token", ["--bind", "0.0.0.0", "--port", "0"], { RBEE_API_TOKEN: "a" }, "WEAK_TOKEN"],
    ["0.0.0.0 with a blank token", ["--bind", "0.0.0.0", "--port", "0"], { RBEE_API_TOKEN: " " }, "INSECURE_BIND|WEAK_TOKEN"],
    ...(ownAddress ? [[`the host's own address ${ownAddress} without a token`, ["--bind", ownAddress, "--port", "0"], {}, "INSECURE_BIND"] as const] : []),
  ] as [string, string[], Record<string, string>, string][])("%s: refused", async (_name, args, env, code) => {
    const startedAt = Date.now();
    const res = await start(args, env);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(new RegExp(`✗ (${code}): refusing to listen on`));
    expect(Date.now() - startedAt).toBeLessThan(5_000);
  });

  it.each([[[]], [["--no-local-hive"]]])("a taken port %j: PORT_IN_USE naming the port, with a hint", async (extra) => {
    const port = new URL(busy.url).port;
    const startedAt = Date.now();
    const res = await start(["--port", port, ...extra]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`✗ PORT_IN_USE: port ${port} on 127.0.0.1 is already in use`);
    expect(res.stderr).toMatch(/hint: .*--port/);
    expect(Date.now() - startedAt).toBeLessThan(5_000);
  });
});
