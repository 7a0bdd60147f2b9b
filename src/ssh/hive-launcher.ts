import { RbeeError } from "../protocol/errors.ts";
import type { ResolvedHost } from "./resolve-host.ts";
import { R, tilde } from "./remote-layout.ts";
import { shellQuote } from "./shell-quote.ts";

/** Accepts http(s) URLs only, and none that could step out of single quotes or split words. */
export function validateQueenUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new RbeeError("INVALID_QUEEN_URL", `${JSON.stringify(value)} is not a URL`, "Pass the queen's address as seen from the hive, e.g. http://192.168.1.10:7833.");
  }
  const unsafe = /['"\s\\`$]/;
  if ((url.protocol !== "http:" && url.protocol !== "https:") || unsafe.test(value.trim()) || unsafe.test(url.href)) {
    throw new RbeeError("INVALID_QUEEN_URL", `${JSON.stringify(value)} is not a plain http(s) URL`, "Pass the queen's address as seen from the hive, e.g. http://192.168.1.10:7833.");
  }
  return url.href.replace(/\/$/, "");
}

/**
 * The arguments of the hive process. `serveArgs` lets a caller run another serve command line
 * (tests against a binary that predates `--role hive`); values are quoted either way.
 */
export function hiveServeArgs(host: ResolvedHost, queenUrl?: string): string[] {
  // A hive on another machine must be reachable by the queen: it listens on every address
  // (it always has its API token) and tells the queen the host name it is known by here.
  const local = /^(127\.\d+\.\d+\.\d+|localhost|::1)$/.test(host.hostname);
  const bind = local ? ["--bind", "127.0.0.1"] : ["--bind", "0.0.0.0", "--advertise-url", `http://${host.hostname}:${host.hivePort}`];
  return [
    "serve", "--role", "hive", ...bind, "--port", String(host.hivePort), "--hive-id", host.alias,
    ...(queenUrl ? ["--queen-url", queenUrl] : []),
  ];
}

/**
 * ~/.config/rbee/hive-start.sh: reads the API token from its 0600 file into the environment
 * (never onto a command line) and execs the hive, so the pid we record is the hive's own.
 * Both systemd and nohup run this one script.
 */
export function launcherScript(args: string[], queenUrl?: string): string {
  return [
    "#!/bin/sh",
    "# Written by `rbee hive start`; rewritten on every start.",
    `QUEEN_URL=${shellQuote(queenUrl ?? "")}`,
    `RBEE_API_TOKEN=$(cat ${R.token}) || { echo "rbee: cannot read ${tilde("token")}; run rbee hive install again" >&2; exit 1; }`,
    "export RBEE_API_TOKEN",
    `cd "$HOME" || exit 1`,
    `exec ${R.binary} ${args.map(shellQuote).join(" ")}`,
    "",
  ].join("\n");
}

/** The systemd --user unit; %h is the user's home in user units. */
export function systemdUnit(): string {
  return [
    "[Unit]",
    "Description=rbee hive",
    "After=network-online.target",
    "",
    "[Service]",
    "ExecStart=%h/.config/rbee/hive-start.sh",
    "Restart=on-failure",
    "RestartSec=2",
    "",
    "[Install]",
    "WantedBy=default.target",
    "",
  ].join("\n");
}
