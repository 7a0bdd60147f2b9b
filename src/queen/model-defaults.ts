import { modelConfigFile, modelSettings, readModelConfig, removeAlias, resolveModelName, setAlias, type ModelConfig } from "../config/model-config.ts";
import { parseKeepAlive } from "../config/timeouts.ts";
import type { Handler } from "../jobs/dispatch.ts";
import { narrate } from "../narration/narrate.ts";
import { RbeeError } from "../protocol/errors.ts";
import type { HiveDirectory } from "./hive-directory.ts";
import { listModelRecords } from "./model-catalog.ts";
import type { OperationOf, ScheduledOp } from "../protocol/operations.ts";

type ModelOp = ScheduledOp;
const SAMPLING = ["temperature", "top_p", "top_k", "min_p", "repeat_penalty"] as const;

/**
 * A request as the scheduler should run it: its model name resolved through the aliases, and
 * the model's keep-alive and sampling defaults (models.json) filled in where the request left them out. Every
 * API room's requests pass here (they all become these operations), so each API resolves alike.
 * The config is read per request: an edit takes effect with the next one.
 */
export function withModelConfig<T extends ModelOp>(op: T): T {
  const config = readModelConfig();
  const model = resolveModelName(op.model, config);
  if (model !== op.model) narrate("model_alias", `${op.model} is an alias of ${model}`, { alias: op.model, model });
  const settings = modelSettings(op.model, config);
  // The request's keep_alive, else the model's (a bad one is the config's error, said as such), else the hive's.
  const keepAlive = op.keep_alive ?? settings.keep_alive;
  if (op.keep_alive === undefined && keepAlive !== undefined) checkKeepAlive(keepAlive, model);
  const out = { ...op, model, ...(keepAlive !== undefined ? { keep_alive: keepAlive } : {}) };
  if (op.operation !== "infer") return out;
  const sampling = settings.sampling ?? {};
  const filled: string[] = [];
  for (const key of SAMPLING) {
    if (sampling[key] === undefined || (op as Record<string, unknown>)[key] !== undefined) continue;
    (out as Record<string, unknown>)[key] = sampling[key];
    filled.push(`${key}=${sampling[key]}`);
  }
  if (filled.length) narrate("model_defaults", `sampling defaults for ${model}: ${filled.join(", ")}`, { level: "debug" });
  return out;
}

function checkKeepAlive(value: string | number, model: string): void {
  try {
    parseKeepAlive(value);
  } catch (err) {
    throw new RbeeError("MODEL_CONFIG_INVALID", `${modelConfigFile()}: models.${model}.keep_alive: ${(err as RbeeError).message}`, 'Write it like "5m", "30s", 0 or -1.', 500);
  }
}

/**
 * A worker spawn by hand: the model name resolved through the aliases, and the model's context
 * and chat template from models.json where the command gave none.
 */
export function withSpawnDefaults(op: OperationOf<"worker_spawn">): OperationOf<"worker_spawn"> {
  const config = readModelConfig();
  const model = resolveModelName(op.model, config);
  const settings = modelSettings(op.model, config);
  return { ...op, model, ...(op.ctx === undefined && settings.context ? { ctx: settings.context } : {}), ...(op.chat_template === undefined && settings.chat_template ? { chat_template: settings.chat_template as never } : {}) };
}

/** Each alias with the model id it stands for, sorted by name. */
export function aliasRows(config: ModelConfig = readModelConfig()): { alias: string; model: string }[] {
  return Object.entries(config.aliases ?? {})
    .map(([alias, model]) => ({ alias, model }))
    .sort((a, b) => a.alias.localeCompare(b.alias));
}

/**
 * `model_alias`: list, set or remove an alias in the queen's models.json (written whole,
 * atomically). A name that is a model's own id is refused (the alias would hide the model);
 * a target no online hive has yet is allowed, and said.
 */
export const modelAliasHandler = (hives: HiveDirectory): Handler<"model_alias"> => async (op, ctx) => {
  if (op.name && op.remove) {
    const gone = readModelConfig().aliases?.[op.name];
    const rows = aliasRows(removeAlias(op.name));
    narrate("alias_removed", `removed alias ${op.name} (was ${gone})`);
    return rows;
  }
  if (op.name && op.model) {
    const ids = new Set((await listModelRecords(hives, ctx.signal)).map((m) => m.id));
    if (ids.has(op.name)) throw new RbeeError("INVALID_ALIAS", `${op.name} is a model's own id: an alias of that name would hide the model`, "Pick another name.");
    if (!ids.has(op.model)) narrate("alias_target_missing", `no online hive has ${op.model} yet: the alias works once one does (\`rbee model download …\`)`, { level: "warn" });
    const before = readModelConfig().aliases?.[op.name];
    const rows = aliasRows(setAlias(op.name, op.model));
    narrate("alias_set", before && before !== op.model ? `${op.name} now stands for ${op.model} (was ${before})` : `${op.name} stands for ${op.model}`);
    return rows;
  }
  return aliasRows();
};
