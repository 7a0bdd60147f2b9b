import { homedir } from "node:os";
import { join } from "node:path";

/**
 * Where rbee keeps its state. `RBEE_HOME` puts everything under one folder (every test uses
 * it); otherwise the XDG folders. Read on each call so a test can switch homes.
 */
export interface RbeePaths {
  config: string;
  data: string;
  cache: string;
  state: string;
}

export function rbeePaths(env: NodeJS.ProcessEnv = process.env): RbeePaths {
  const home = env.RBEE_HOME;
  if (home) {
    return { config: join(home, "config"), data: join(home, "data"), cache: join(home, "cache"), state: join(home, "state") };
  }
  const user = homedir();
  return {
    config: join(env.XDG_CONFIG_HOME || join(user, ".config"), "rbee"),
    data: join(env.XDG_DATA_HOME || join(user, ".local", "share"), "rbee"),
    cache: join(env.XDG_CACHE_HOME || join(user, ".cache"), "rbee"),
    state: join(env.XDG_STATE_HOME || join(user, ".local", "state"), "rbee"),
  };
}

/** Model files and the catalog database. */
export const modelsDir = (env?: NodeJS.ProcessEnv) => join(rbeePaths(env).data, "models");
