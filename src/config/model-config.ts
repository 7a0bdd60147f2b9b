import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { z } from "zod";
import { RbeeError } from "../protocol/errors.ts";
import { rbeePaths } from "./paths.ts";

/** A duration as the Ollama API and the CLI take it: "5m", "30s", "1h", seconds as a number, 0 or -1. */
export const Duration = z.union([z.string().min(1).max(32), z.number()]);

/** Per-model defaults: what a worker started for this model gets unless a request or the CLI says otherwise. */
export const ModelSettings = z
  .object({
    /** Context per slot, in tokens. */
    context: z.number().int().min(64).max(1_048_576).optional(),
    /** Device for on-demand workers: "auto", "cpu:0", "vulkan:0", … */
    device: z.string().min(1).max(64).optional(),
    /** Idle time before an on-demand worker of this model unloads ("5m"; 0 = at once; -1 = never). */
    keep_alive: Duration.optional(),
    /** Sampling defaults a request may override. */
    sampling: z
      .object({
        temperature: z.number().min(0).max(2).optional(),
        top_p: z.number().min(0).max(1).optional(),
        top_k: z.number().int().min(0).optional(),
        min_p: z.number().min(0).max(1).optional(),
        repeat_penalty: z.number().min(0).optional(),
      })
      .strict()
      .optional(),
    /** Chat template override: a node-llama-cpp chat wrapper name ("chatML", "llama3", …; any case). */
    chat_template: z
      .string()
      .transform((name, ctx) => {
        try {
          return chatTemplateNamed(name);
        } catch (err) {
          ctx.addIssue({ code: "custom", message: `${(err as Error).message}; known: ${CHAT_TEMPLATES.join(", ")}` });
          return name;
        }
      })
      .optional(),
  })
  .strict();
export type ModelSettings = z.infer<typeof ModelSettings>;

/**
 * The chat wrappers node-llama-cpp 3.22 resolves by name (its `resolvableChatWrapperTypeNames`,
 * less "template", which needs a template text): "jinjaTemplate" renders the GGUF's own template.
 */
export const CHAT_TEMPLATES = ["auto", "general", "deepSeek", "qwen", "llama3.2-lightweight", "llama3.1", "llama3", "llama2Chat", "mistral", "alpacaChat", "functionary", "chatML", "falconChat", "gemma4", "gemma", "harmony", "muse", "seed", "jinjaTemplate"] as const;

/** A chat wrapper's name as node-llama-cpp spells it, from any case; an unknown name is a clear error. */
export function chatTemplateNamed(name: string): (typeof CHAT_TEMPLATES)[number] {
  const known = CHAT_TEMPLATES.find((t) => t.toLowerCase() === name.toLowerCase());
  if (!known) throw new RbeeError("UNKNOWN_CHAT_TEMPLATE", `unknown chat template "${name}"`, `Use one of ${CHAT_TEMPLATES.join(", ")}.`);
  return known;
}

/** Alias names and their targets follow the model id rule, so every API's `model` field can carry them. */
export const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const modelName = z.string().regex(MODEL_NAME, "letters, digits, '.', '_', ':' and '-' only (at most 128)");

/** `models.json` in the config folder: aliases and per-model defaults. Every field is optional. */
export const ModelConfig = z
  .object({
    /** Other names for a model id: `"llama3": "meta-llama-3-8b-instruct.q4_k_m"`. */
    aliases: z.record(modelName, modelName).optional(),
    /** Defaults per model id (or alias). */
    models: z.record(z.string().min(1).max(512), ModelSettings).optional(),
    /** When a model sits only on a busy hive and another hive has room, copy it there by itself. */
    auto_copy: z.boolean().optional(),
  })
  .strict();
export type ModelConfig = z.infer<typeof ModelConfig>;

export const modelConfigFile = () => join(rbeePaths().config, "models.json");

/** What tells a changed file apart: an edit in place (mtime, ctime, size) or a file renamed over it (inode). */
const versionOf = (stat: { mtimeMs: number; ctimeMs: number; size: number; ino: number }) => `${stat.mtimeMs}:${stat.ctimeMs}:${stat.size}:${stat.ino}`;
let cached: { path: string; version: string; config: ModelConfig } | undefined;

/**
 * The model config as it is on disk now. Read again whenever the file changes (a stat per call),
 * so edits take effect without a restart. A missing file is an empty config; a broken one is a
 * clear error naming the file, and the last good config is not silently kept.
 */
export function readModelConfig(): ModelConfig {
  const path = modelConfigFile();
  let stat;
  try {
    stat = statSync(path);
  } catch {
    return {};
  }
  if (cached && cached.path === path && cached.version === versionOf(stat)) return cached.config;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new RbeeError("MODEL_CONFIG_INVALID", `${path} is not valid JSON: ${(err as Error).message}`, "Fix the file; `rbee model alias` rewrites it safely.", 500);
  }
  const result = ModelConfig.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new RbeeError("MODEL_CONFIG_INVALID", `${path}: ${issue.path.join(".") || "(top)"}: ${issue.message}`, "Fix the file; see the README's model config section.", 500);
  }
  cached = { path, version: versionOf(stat), config: result.data };
  return result.data;
}

/** The model id a name stands for: an alias's target (one level), else the name itself. */
export function resolveModelName(name: string, config: ModelConfig = readModelConfig()): string {
  return config.aliases?.[name] ?? name;
}

/** The defaults for a model: those under its id, overlaid by those under the alias used, if any. */
export function modelSettings(name: string, config: ModelConfig = readModelConfig()): ModelSettings {
  const id = resolveModelName(name, config);
  return { ...config.models?.[id], ...(id !== name ? config.models?.[name] : undefined) };
}

/**
 * Writes the model config whole: validated first, then a temp file renamed over the old one,
 * so a reader never sees half a file and a bad config is never written.
 */
export function writeModelConfig(config: ModelConfig): void {
  const checked = ModelConfig.safeParse(config);
  if (!checked.success) {
    const issue = checked.error.issues[0]!;
    throw new RbeeError("MODEL_CONFIG_INVALID", `${issue.path.join(".") || "(top)"}: ${issue.message}`, "Nothing was written.");
  }
  const path = modelConfigFile();
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(checked.data, null, 2)}\n`, { mode: 0o600 });
  renameSync(temp, path);
  cached = undefined;
}

/** Sets (or replaces) one alias; refuses names that would shadow or chain. */
export function setAlias(name: string, target: string): ModelConfig {
  const config = readModelConfig();
  for (const [value, label] of [[name, "alias"], [target, "model id"]] as const) {
    if (!MODEL_NAME.test(value)) throw new RbeeError("INVALID_ALIAS", `the ${label} "${value}" is not a valid model name`, "Use letters, digits, '.', '_', ':' and '-' (at most 128).");
  }
  if (name === target) throw new RbeeError("INVALID_ALIAS", `an alias cannot point at itself ("${name}")`, "Give the model id it stands for.");
  if (config.aliases?.[target]) throw new RbeeError("INVALID_ALIAS", `"${target}" is itself an alias (of ${config.aliases[target]})`, `Point ${name} at the model id: \`rbee model alias ${name} ${config.aliases[target]}\`.`);
  const next = { ...config, aliases: { ...config.aliases, [name]: target } };
  writeModelConfig(next);
  return next;
}

/** Removes one alias; an alias that does not exist is an error (nothing changes). */
export function removeAlias(name: string): ModelConfig {
  const config = readModelConfig();
  if (!config.aliases?.[name]) throw new RbeeError("ALIAS_NOT_FOUND", `no alias named "${name}"`, "See the aliases with `rbee model alias`.", 404);
  const { [name]: _gone, ...rest } = config.aliases;
  const next = { ...config, aliases: rest };
  writeModelConfig(next);
  return next;
}
