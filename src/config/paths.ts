import { homedir } from "node:os";
import { join } from "node:path";

/**
 * Where rbee keeps its state. `RBEE_HOME` puts everything under one folder (every test uses
 * it); otherwise the XDG folders, whose defaults on macOS are its own: ~/Library/Application
 * Support/rbee (state in its state/) and ~/Library/Caches/rbee, each XDG variable still
 * winning when set. Read on each call so a test can switch homes.
 */
export interface RbeePaths {
  config: string;
  data: string;
  cache: string;
  state: string;
}

export function rbeePaths(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): RbeePaths {
  const home = env.RBEE_HOME;
  if (home) {
    return { config: join(home, "config"), data: join(home, "data"), cache: join(home, "cache"), state: join(home, "state") };
  }
  const user = homedir();
  if (platform === "darwin") {
    const support = join(user, "Library", "Application Support", "rbee");
    return {
      config: env.XDG_CONFIG_HOME ? join(env.XDG_CONFIG_HOME, "rbee") : support,
      data: env.XDG_DATA_HOME ? join(env.XDG_DATA_HOME, "rbee") : support,
      cache: env.XDG_CACHE_HOME ? join(env.XDG_CACHE_HOME, "rbee") : join(user, "Library", "Caches", "rbee"),
      state: env.XDG_STATE_HOME ? join(env.XDG_STATE_HOME, "rbee") : join(support, "state"),
    };
  }
  return {
    config: join(env.XDG_CONFIG_HOME || join(user, ".config"), "rbee"),
    data: join(env.XDG_DATA_HOME || join(user, ".local", "share"), "rbee"),
    cache: join(env.XDG_CACHE_HOME || join(user, ".cache"), "rbee"),
    state: join(env.XDG_STATE_HOME || join(user, ".local", "state"), "rbee"),
  };
}

/** Model files and the catalog database. */
export const modelsDir = (env?: NodeJS.ProcessEnv) => join(rbeePaths(env).data, "models");
