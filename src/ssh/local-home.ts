import { homedir } from "node:os";

/**
 * The local home folder (where ~/.ssh lives). $HOME is read on every call: Bun's
 * os.homedir() keeps the value from process start, and tests point HOME at a temp folder.
 */
export function localHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.HOME || homedir();
}
