import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parse } from "plist";
import { hiveServeArgs, launchAgentPlist, launcherScript, validateQueenUrl } from "../../src/ssh/hive-launcher.ts";
import { NASTY } from "../helpers/nasty-values.ts";

describe("hive launcher script", () => {
  let home: string;
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), "rbee-launcher-"));
    mkdirSync(join(home, ".local", "bin"), { recursive: true });
    mkdirSync(join(home, ".config", "rbee"), { recursive: true });
    // A stand-in binary that prints its arguments one per line, then the token it got.
    writeFileSync(join(home, ".local", "bin", "rbee"), `#!/bin/sh\nfor a in "$@"; do printf '[%s]\\n' "$a"; done\nprintf 'token=%s\\n' "$RBEE_API_TOKEN"\n`);
    chmodSync(join(home, ".local", "bin", "rbee"), 0o755);
    writeFileSync(join(home, ".config", "rbee", "hive.token"), "ab".repeat(32));
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  const run = (script: string) => spawnSync("sh", ["-c", script], { encoding: "utf8", env: { HOME: home, PATH: process.env.PATH } });

  it("given the hive arguments, when the launcher runs, then rbee gets them verbatim and the token in its environment", () => {
    const host = { alias: "gpu1", hostname: "h", user: "u", port: 22, hivePort: 7835, identityFiles: [] };
    const r = run(launcherScript(hiveServeArgs(host, "http://10.0.0.1:7833"), "http://10.0.0.1:7833"));
    expect(r.stdout).toBe(
      ["serve", "--role", "hive", "--bind", "0.0.0.0", "--advertise-url", "http://h:7835", "--port", "7835", "--hive-id", "gpu1", "--queen-url", "http://10.0.0.1:7833"].map((a) => `[${a}]\n`).join("") +
        `token=${"ab".repeat(32)}\n`,
    );
  });

  it("given arguments full of metacharacters, when the launcher runs, then each arrives literally", () => {
    const r = run(launcherScript(NASTY));
    expect(r.stdout).toBe(NASTY.map((a) => `[${a}]\n`).join("") + `token=${"ab".repeat(32)}\n`);
  });

  it("given no token file, when the launcher runs, then it exits non-zero and says what to do", () => {
    rmSync(join(home, ".config", "rbee", "hive.token"));
    const r = run(launcherScript(["serve"]));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("rbee hive install");
  });

  it.each(["http://x/'$(id)", "ftp://x", "not a url", "http://x/a b", "http://x/`id`"])("given the queen URL %j, when validating, then it is refused", (url) => {
    expect(() => validateQueenUrl(url)).toThrow(expect.objectContaining({ code: "INVALID_QUEEN_URL" }));
  });

  it("given a plain queen URL, when validating, then it is kept without a trailing slash", () => {
    expect(validateQueenUrl("http://192.168.1.10:7833/")).toBe("http://192.168.1.10:7833");
  });

  it("given a Mac, when the launcher runs, then it reads the token from ~/Library/Application Support/rbee", () => {
    const mac = join(home, "Library", "Application Support", "rbee");
    mkdirSync(mac, { recursive: true });
    writeFileSync(join(mac, "hive.token"), "cd".repeat(32));
    // A stand-in uname makes this machine a Mac for the script.
    mkdirSync(join(home, "fakebin"));
    writeFileSync(join(home, "fakebin", "uname"), "#!/bin/sh\necho Darwin\n", { mode: 0o755 });
    const r = spawnSync("sh", ["-c", launcherScript(["serve"])], { encoding: "utf8", env: { HOME: home, PATH: `${join(home, "fakebin")}:${process.env.PATH}` } });
    expect(r.stdout).toBe(`[serve]\ntoken=${"cd".repeat(32)}\n`);
  });
});

describe("the launchd agent of a macOS hive", () => {
  it.each(["/Users/ann", `/Users/a&b <c> "d" 'e'`])("given the home %j, when the plist is rendered and parsed back, then launchd gets every path intact", (home) => {
    const agent = parse(launchAgentPlist(home));
    const support = `${home}/Library/Application Support/rbee`;
    expect(agent).toEqual({
      Label: "dev.rbee.hive",
      ProgramArguments: ["/bin/sh", `${support}/hive-start.sh`],
      WorkingDirectory: home,
      RunAtLoad: true,
      // Restarted when it fails, not after a clean shutdown.
      KeepAlive: { SuccessfulExit: false },
      ThrottleInterval: 2,
      StandardOutPath: `${support}/state/hive.log`,
      StandardErrorPath: `${support}/state/hive.log`,
    });
  });
});
