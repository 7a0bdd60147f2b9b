import { Builtins, Cli } from "clipanion";
import { VERSION } from "../src/version.ts";
import { commands } from "./registry.ts";

export function buildCli(): Cli {
  const cli = new Cli({ binaryLabel: "rbee", binaryName: "rbee", binaryVersion: VERSION, enableCapture: false });
  cli.register(Builtins.HelpCommand);
  cli.register(Builtins.VersionCommand);
  for (const command of commands) cli.register(command);
  return cli;
}

/** Runs one command line and returns its exit code (usage errors exit 2). */
export async function runCli(argv: string[]): Promise<number> {
  const cli = buildCli();
  return cli.run(argv);
}
