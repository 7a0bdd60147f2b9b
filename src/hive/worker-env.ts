import { POOL_THREADS_ENV } from "../engine/one-openmp-team.ts";

/** Secrets a worker never needs: the hive's key to its queen, the hive's token file, hub tokens. */
const WITHHELD = ["RBEE_QUEEN_TOKEN", "RBEE_API_TOKEN_FILE", "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"];

/**
 * The environment of a worker process: the hive's, less what the worker must not hold, with
 * the worker's own token as its API token. No token travels further than its hop. Its native
 * work pool has 2 threads, so that its engine decodes from one (see one-openmp-team.ts), unless
 * the hive's environment sizes that pool itself.
 */
export function workerEnv(workerToken: string, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined && !WITHHELD.includes(key)) out[key] = value;
  out.RBEE_API_TOKEN = workerToken;
  if (out.UV_THREADPOOL_SIZE === undefined && out.GOMAXPROCS === undefined) Object.assign(out, POOL_THREADS_ENV);
  return out;
}
