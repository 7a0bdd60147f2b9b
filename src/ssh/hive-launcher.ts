import { RbeeError } from "../protocol/errors.ts";
import type { ResolvedHost } from "./resolve-host.ts";
import { AGENT_LABEL, LAYOUT_SH, MAC_REL, R } from "./remote-layout.ts";
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
 * systemd, launchd and nohup all run this one script.
 */
export function launcherScript(args: string[], queenUrl?: string): string {
  return [
    "#!/bin/sh",
    "# Written by `rbee hive start`; rewritten on every start.",
    `QUEEN_URL=${shellQuote(queenUrl ?? "")}`,
    LAYOUT_SH,
    `RBEE_API_TOKEN=$(cat ${R.token}) || { echo "rbee: cannot read $rbee_cfg/hive.token; run rbee hive install again" >&2; exit 1; }`,
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

const xml = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/**
 * The launchd user agent on macOS: runs the launcher at load, restarts it when it fails (not
 * after a clean shutdown), output to the hive log. launchd expands nothing, so `home` (the
 * remote $HOME) makes every path absolute.
 */
export function launchAgentPlist(home: string): string {
  const log = `${home}/${MAC_REL.log}`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
    '<plist version="1.0">',
    "<dict>",
    `  <key>Label</key><string>${AGENT_LABEL}</string>`,
    `  <key>ProgramArguments</key><array><string>/bin/sh</string><string>${xml(`${home}/${MAC_REL.launcher}`)}</string></array>`,
    `  <key>WorkingDirectory</key><string>${xml(home)}</string>`,
    "  <key>RunAtLoad</key><true/>",
    "  <key>KeepAlive</key><dict><key>SuccessfulExit</key><false/></dict>",
    "  <key>ThrottleInterval</key><integer>2</integer>",
    `  <key>StandardOutPath</key><string>${xml(log)}</string>`,
    `  <key>StandardErrorPath</key><string>${xml(log)}</string>`,
    "</dict>",
    "</plist>",
    "",
  ].join("\n");
}
