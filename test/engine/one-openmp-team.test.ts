import { describe, expect, it } from "vitest";
import { bunPoolThreads } from "../../src/engine/one-openmp-team.ts";
import { workerEnv } from "../../src/hive/worker-env.ts";

describe("one OpenMP team per worker: the native pool it holds down to one thread", () => {
  it("given a hive's environment, its workers get a pool of 2 threads, unless the hive sizes the pool itself", () => {
    expect(workerEnv("t", { PATH: "/bin" }).UV_THREADPOOL_SIZE).toBe("2");
    expect(workerEnv("t", { UV_THREADPOOL_SIZE: "8" }).UV_THREADPOOL_SIZE).toBe("8");
    expect(workerEnv("t", { GOMAXPROCS: "4" }).UV_THREADPOOL_SIZE).toBeUndefined();
  });

  it("given how Bun sizes its pool, a thread is held only where the pool is surely 2 (holding them all would stop every native call)", () => {
    expect(bunPoolThreads({ UV_THREADPOOL_SIZE: "2" }, 16)).toBe(2);
    expect(bunPoolThreads({}, 2)).toBe(2);
    expect(bunPoolThreads({}, 1)).toBe(2);
    expect(bunPoolThreads({}, 16)).toBe(16);
    expect(bunPoolThreads({ GOMAXPROCS: "4" }, 2)).toBe(4);
    expect(bunPoolThreads({ UV_THREADPOOL_SIZE: "1" }, 2)).toBeUndefined();
    expect(bunPoolThreads({ UV_THREADPOOL_SIZE: "lots" }, 2)).toBeUndefined();
  });
});
