import { runCli } from "../commands/cli.ts";
import { engineProbeScript } from "./worker/engine-probe.ts";

// node-llama-cpp re-runs this executable to test its native addon (see engine-probe.ts).
const probe = engineProbeScript();
if (probe) await import(probe);
else process.exitCode = await runCli(process.argv.slice(2));
