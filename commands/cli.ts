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

/**
 * Runs one command line and returns its exit code. A command line that does not parse,
 * or a command that throws a UsageError, exits 2 with the usage printed.
 */
export async function runCli(argv: string[]): Promise<number> {
  // The dashboard is the default command, so a mistyped command would read as its extra
  // argument; name the mistake instead.
  const first = argv[0];
  if (first !== undefined && !first.startsWith("-") && !commands.some((c) => c.paths?.some((p) => p[0] === first))) {
    process.stderr.write(`error: unknown command "${first}"; see \`rbee --help\`\n`);
    return 2;
  }
  const cli = buildCli();
  let command;
  try {
    command = cli.process(argv, Cli.defaultContext);
  } catch (error) {
    process.stderr.write(cli.error(error));
    return 2;
  }
  return cli.run(command, Cli.defaultContext);
}
