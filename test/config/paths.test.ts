import { homedir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { rbeePaths } from "../../src/config/paths.ts";

describe("where rbee keeps its state", () => {
  const support = join(homedir(), "Library", "Application Support", "rbee");

  it("given macOS and no XDG variables, then the Mac's own folders", () => {
    expect(rbeePaths({}, "darwin")).toEqual({ config: support, data: support, cache: join(homedir(), "Library", "Caches", "rbee"), state: join(support, "state") });
  });

  it("given macOS with XDG variables set, then each one wins for its kind", () => {
    expect(rbeePaths({ XDG_CONFIG_HOME: "/x/c", XDG_STATE_HOME: "/x/s" }, "darwin")).toEqual({ config: "/x/c/rbee", data: support, cache: join(homedir(), "Library", "Caches", "rbee"), state: "/x/s/rbee" });
  });

  it("given Linux, then the XDG defaults; given RBEE_HOME, then one folder anywhere", () => {
    expect(rbeePaths({}, "linux").state).toBe(join(homedir(), ".local", "state", "rbee"));
    expect(rbeePaths({ RBEE_HOME: "/r" }, "darwin")).toEqual({ config: "/r/config", data: "/r/data", cache: "/r/cache", state: "/r/state" });
  });
});
