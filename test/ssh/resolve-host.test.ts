import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { resolveHost } from "../../src/ssh/resolve-host.ts";

describe("resolveHost", () => {
  let root: string;
  let home: string;
  let env: NodeJS.ProcessEnv;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), "rbee-resolve-"));
    home = join(root, "home");
    mkdirSync(join(home, ".ssh"), { recursive: true });
    mkdirSync(join(root, "rbee", "config"), { recursive: true });
    env = { HOME: home, RBEE_HOME: join(root, "rbee") };
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const sshConfig = (text: string) => writeFileSync(join(home, ".ssh", "config"), text);
  const hivesConf = (text: string) => writeFileSync(join(root, "rbee", "config", "hives.conf"), text);

  it("given no config at all, when resolving, then the alias is the host name with defaults", () => {
    writeFileSync(join(home, ".ssh", "id_rsa"), "x");
    const host = resolveHost("gpu1", { env });
    expect(host).toEqual({ alias: "gpu1", hostname: "gpu1", user: userInfo().username, port: 22, hivePort: 7835, identityFiles: [join(home, ".ssh", "id_rsa")] });
  });

  it("given ~/.ssh/config, when resolving, then HostName, User, Port and IdentityFile come from it", () => {
    sshConfig("Host gpu1\n  HostName 10.0.0.5\n  User alice\n  Port 2222\n  IdentityFile ~/.ssh/gpu_key\n\nHost *\n  User fallback\n");
    const host = resolveHost("gpu1", { env });
    expect(host).toMatchObject({ hostname: "10.0.0.5", user: "alice", port: 2222, identityFiles: [join(home, ".ssh", "gpu_key")], hivePort: 7835 });
  });

  it("given both hives.conf and ~/.ssh/config, when resolving, then hives.conf wins field by field", () => {
    sshConfig("Host gpu1\n  HostName from-ssh\n  User sshuser\n  Port 2222\n");
    hivesConf("Host gpu1\n  HostName from-rbee\n  HivePort 9000\n");
    const host = resolveHost("gpu1", { env });
    expect(host).toMatchObject({ hostname: "from-rbee", user: "sshuser", port: 2222, hivePort: 9000 });
  });

  it("given SSH_AUTH_SOCK, when resolving, then the agent is offered", () => {
    expect(resolveHost("gpu1", { env: { ...env, SSH_AUTH_SOCK: "/tmp/agent.sock" } }).agent).toBe("/tmp/agent.sock");
  });

  it("given a bad port in the config, when resolving, then a clear error names it", () => {
    sshConfig("Host gpu1\n  Port nope\n");
    expect(() => resolveHost("gpu1", { env })).toThrow(expect.objectContaining({ code: "INVALID_HOST_CONFIG" }));
  });

  it.each(["-oProxyCommand=sh", "a;rm -rf ~", "$(id)", "a b", "`id`", "a'b", "host\nname", ""])(
    "given the alias %j, when resolving, then it is rejected before anything is read",
    (alias) => {
      expect(() => resolveHost(alias, { env })).toThrow(expect.objectContaining({ code: "INVALID_HOST_ALIAS" }));
    },
  );
});
