/** Secrets a worker never needs: the hive's key to its queen, the hive's token file, hub tokens. */
const WITHHELD = ["RBEE_QUEEN_TOKEN", "RBEE_API_TOKEN_FILE", "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"];

/**
 * The environment of a worker process: the hive's, less what the worker must not hold, with
 * the worker's own token as its API token. No token travels further than its hop.
 */
export function workerEnv(workerToken: string, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined && !WITHHELD.includes(key)) out[key] = value;
  out.RBEE_API_TOKEN = workerToken;
  return out;
}
