import { engineProbeScript, UNPACK_ENV } from "./worker/engine-probe.ts";
import { releasePoolThread } from "./engine/one-openmp-team.ts";
import { serveWithoutJit } from "./lifecycle/jitless-serve.ts";

// node-llama-cpp re-runs this executable to test its native addon (see engine-probe.ts), and
// rbee to unpack its embedded engine (see engine-unpack.ts).
const probe = engineProbeScript();
const unpackInto = process.env[UNPACK_ENV];
if (probe) await import(probe);
else if (unpackInto) {
  const [{ runUnpackChild }, { embeddedEngine }] = await Promise.all([import("./worker/engine-unpack.ts"), import("./worker/engine-embedded.ts")]);
  process.exitCode = await runUnpackChild(embeddedEngine, unpackInto);
} else {
  serveWithoutJit(process.argv.slice(2));
  // Imported after: a `serve` that executes itself again has loaded no more than it needs to.
  const { runCli } = await import("../commands/cli.ts");
  process.exitCode = await runCli(process.argv.slice(2));
  // A worker holds a native pool thread (one-openmp-team.ts); the process ends once it is let go.
  releasePoolThread();
}
