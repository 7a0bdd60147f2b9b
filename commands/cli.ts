import { Builtins, Cli } from "clipanion";
import { VERSION } from "../src/version.ts";
import { parseErrorMessage, unknownCommandMessage } from "./misuse.ts";
import { commands } from "./registry.ts";

export function buildCli(colored = false): Cli {
  const cli = new Cli({ binaryLabel: "rbee", binaryName: "rbee", binaryVersion: VERSION, enableCapture: false, enableColors: colored });
  cli.register(Builtins.HelpCommand);
  cli.register(Builtins.VersionCommand);
  for (const command of commands) cli.register(command);
  return cli;
}

/**
 * Colour only for a person at a terminal: never with `--no-color` or NO_COLOR (no-color.org),
 * nor when stdout or stderr is a pipe or a file; FORCE_COLOR turns it on anyway.
 * (clipanion alone asks the terminal type, not whether the output is one.)
 */
export function wantsColor(argv: string[], env = process.env): boolean {
  if (argv.includes("--no-color") || env.NO_COLOR) return false;
  if (env.FORCE_COLOR && env.FORCE_COLOR !== "0") return true;
  return !!process.stdout.isTTY && !!process.stderr.isTTY;
}

/**
 * Runs one command line and returns its exit code. A command line that does not parse,
 * or a command that throws a UsageError, exits 2 with what is wrong and the usage printed.
 */
export async function runCli(rawArgv: string[]): Promise<number> {
  const colored = wantsColor(rawArgv);
  if (rawArgv.includes("--no-color")) process.env.NO_COLOR = "1";
  // The dashboard's colour library reads FORCE_COLOR, not NO_COLOR.
  if (process.env.NO_COLOR) process.env.FORCE_COLOR = "0";
  const argv = rawArgv.filter((a) => a !== "--no-color");
  // The dashboard is the default command, so a mistyped command would read as its extra
  // argument; name the mistake (and the nearest command) instead.
  const first = argv[0];
  if (first !== undefined && !first.startsWith("-") && !commands.some((c) => c.paths?.some((p) => p[0] === first))) {
    process.stderr.write(unknownCommandMessage(first, commands));
    return 2;
  }
  const cli = buildCli(colored);
  let command;
  try {
    command = cli.process(argv, Cli.defaultContext);
  } catch (error) {
    process.stderr.write(((error as Error).name === "UnknownSyntaxError" && parseErrorMessage(cli, commands, argv, colored)) || cli.error(error));
    return 2;
  }
  return cli.run(command, Cli.defaultContext);
}
