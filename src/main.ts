import { runCli } from "../commands/cli.ts";

process.exitCode = await runCli(process.argv.slice(2));
