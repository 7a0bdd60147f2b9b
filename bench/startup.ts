/**
 * Start-up time: `dist/rbee --help` against a compiled hello-world (the floor set by the
 * Bun runtime itself). Prints median and p90 of RUNS runs each.   Run: bun bench/startup.ts
 */
import { mkdtempSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const RUNS = 30;
if (!existsSync("dist/rbee")) throw new Error("build first: bun run build");

const dir = mkdtempSync(join(tmpdir(), "rbee-startup-"));
writeFileSync(join(dir, "hello.ts"), 'console.log("hello");\n');
const built = await Bun.build({ entrypoints: [join(dir, "hello.ts")], compile: { outfile: join(dir, "hello") }, format: "esm", bytecode: true });
if (!built.success) throw new Error("hello-world build failed");

function time(cmd: string[]): { p50: number; p90: number } {
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const r = Bun.spawnSync(cmd, { stdout: "ignore", stderr: "ignore" });
    samples.push(performance.now() - t0);
    if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")} exited ${r.exitCode}`);
  }
  samples.sort((a, b) => a - b);
  return { p50: samples[Math.floor(RUNS / 2)], p90: samples[Math.floor(RUNS * 0.9)] };
}

const hello = time([join(dir, "hello")]);
const rbee = time(["dist/rbee", "--help"]);
console.log(`hello-world (compiled)  p50 ${hello.p50.toFixed(1)} ms  p90 ${hello.p90.toFixed(1)} ms`);
console.log(`rbee --help             p50 ${rbee.p50.toFixed(1)} ms  p90 ${rbee.p90.toFixed(1)} ms  (+${(rbee.p50 - hello.p50).toFixed(1)} ms over the runtime floor)`);
