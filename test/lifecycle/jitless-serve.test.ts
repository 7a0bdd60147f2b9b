import { afterEach, describe, expect, it } from "vitest";
import { serveWithoutJit } from "../../src/lifecycle/jitless-serve.ts";

type Execve = (file: string, args: string[], env: NodeJS.ProcessEnv) => never;
const proc = process as unknown as { execve?: Execve };

/** Replaces process.execve for one test; the real one would replace the test runner itself. */
function stubExecve(stub: Execve): void {
  proc.execve = stub;
  if (proc.execve !== stub) throw new Error("process.execve cannot be stubbed here");
}

describe("serveWithoutJit: how `rbee serve` starts itself again without a JIT", () => {
  const real = proc.execve;
  const saved = { ...process.env };
  afterEach(() => {
    proc.execve = real;
    for (const key of ["BUN_JSC_useJIT", "RBEE_SERVE_JITLESS"]) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
  });

  it("given serve, executes itself with the JIT off; given another command, does not", () => {
    delete process.env.BUN_JSC_useJIT;
    const calls: [string, string[], NodeJS.ProcessEnv][] = [];
    stubExecve(((file: string, args: string[], env: NodeJS.ProcessEnv) => void calls.push([file, args, env])) as Execve);
    serveWithoutJit(["infer", "--model", "m"]);
    expect(calls).toEqual([]);
    serveWithoutJit(["serve", "--port", "9000"]);
    expect(calls).toHaveLength(1);
    const [file, args, env] = calls[0]!;
    expect(args[0]).toBe(file);
    expect(args.slice(-3)).toEqual(["serve", "--port", "9000"]);
    expect(env).toMatchObject({ BUN_JSC_useJIT: "0" });
  });

  it("given an executable that cannot run again, serves on with the JIT instead of failing", () => {
    delete process.env.BUN_JSC_useJIT;
    stubExecve(() => {
      throw Object.assign(new Error("ENOENT: no such file or directory, execve"), { code: "ENOENT" });
    });
    expect(() => serveWithoutJit(["serve"])).not.toThrow();
  });

  it("once started again, takes the setting out of its environment, so its children keep the JIT", () => {
    stubExecve((() => {
      throw new Error("must not execute itself twice");
    }) as Execve);
    Object.assign(process.env, { BUN_JSC_useJIT: "0", RBEE_SERVE_JITLESS: "1" });
    serveWithoutJit(["serve"]);
    expect(process.env.BUN_JSC_useJIT).toBeUndefined();
    expect(process.env.RBEE_SERVE_JITLESS).toBeUndefined();
  });
});
