import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
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
    /** Chat template override: a node-llama-cpp chat wrapper name ("chatml", "llama3", …). */
    chat_template: z.string().min(1).max(64).optional(),
  })
  .strict();
export type ModelSettings = z.infer<typeof ModelSettings>;

const ALIAS_NAME = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/;

/** `models.json` in the config folder: aliases and per-model defaults. Every field is optional. */
export const ModelConfig = z
  .object({
    /** Other names for a model: `"llama3": "bartowski/Meta-Llama-3-8B-Instruct-GGUF:Q4_K_M"`. */
    aliases: z.record(z.string().regex(ALIAS_NAME), z.string().min(1).max(512)).optional(),
    /** Defaults per model id (or alias). */
    models: z.record(z.string().min(1).max(512), ModelSettings).optional(),
    /** When a model sits only on a busy hive and another hive has room, copy it there by itself. */
    auto_copy: z.boolean().optional(),
  })
  .strict();
export type ModelConfig = z.infer<typeof ModelConfig>;

export const modelConfigFile = () => join(rbeePaths().config, "models.json");

let cached: { path: string; mtimeMs: number; size: number; config: ModelConfig } | undefined;

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
  if (cached && cached.path === path && cached.mtimeMs === stat.mtimeMs && cached.size === stat.size) return cached.config;
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
  cached = { path, mtimeMs: stat.mtimeMs, size: stat.size, config: result.data };
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
