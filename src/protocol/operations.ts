import { z } from "zod";
import { ConstraintFields } from "./constraints.ts";
import { CHAT_TEMPLATES } from "../config/model-config.ts";
import { ModelFile } from "./model-copy.ts";
import { parseKeepAlive } from "../config/timeouts.ts";

/**
 * Every job is an Operation: flat JSON tagged by `operation`, snake_case, the shape of the
 * original rbee. Adding an operation = one schema here + one handler; routers don't change.
 */
const id = z.string().min(1).max(128).regex(/^[A-Za-z0-9._:-]+$/, "letters, digits, '.', '_', ':' and '-' only");
const hiveId = id.default("localhost");
const alias = z.string().min(1).max(253).regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "a host alias: letters, digits, '.', '_', '-'");
/** C0/C1 controls (newlines too) and the bidi overrides that make a name read as something else. */
const noControlAtAll = (max: number) => z.string().max(max).refine((s) => !/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/.test(s), "control characters are not allowed");
const gpuBackend = z.enum(["vulkan", "cuda", "metal"]);
const noControl = (max: number) => z.string().max(max).refine((s) => !/[\u0000-\u0008\u000b-\u001f\u007f]/.test(s), "control characters are not allowed");

export const ChatMessage = z.object({ role: z.enum(["system", "user", "assistant"]), content: noControl(100_000) });
export type ChatMessage = z.infer<typeof ChatMessage>;

export const SamplingFields = {
  max_tokens: z.number().int().min(1).max(32_768).default(128),
  temperature: z.number().min(0).max(5).optional(),
  top_p: z.number().min(0).max(1).optional(),
  top_k: z.number().int().min(0).max(1000).optional(),
  min_p: z.number().min(0).max(1).optional(),
  seed: z.number().int().optional(),
  stop: z.array(z.string().max(200)).max(8).optional(),
  ...ConstraintFields,
};

/** How long a worker stays loaded once idle: "5m", "30s", seconds, 0 (unload after the request) or -1 (never). */
const keepAlive = z.union([z.string().max(32), z.number()]).refine((v) => {
  try {
    parseKeepAlive(v);
    return true;
  } catch {
    return false;
  }
}, 'a duration up to 24 h ("5m", "30s", seconds), 0 (unload after the request) or -1 (never unload)');

/** Parallel slots of a worker when none is asked for: `worker spawn` and the queen's on-demand workers alike. */
export const DEFAULT_WORKER_SLOTS = 4;

/** Where a worker should run: `auto` (placement picks) or a device id. */
const deviceChoice = z.string().regex(/^(auto|(cpu|cuda|vulkan|metal):\d{1,2})$/, "auto, cpu:0, cuda:N, vulkan:N or metal:0").default("auto");

export const Operation = z.discriminatedUnion("operation", [
  z.object({ operation: z.literal("status") }).strict(),
  z.object({ operation: z.literal("hive_list") }).strict(),
  z.object({ operation: z.literal("hive_forget"), hive_id: id }).strict(),
  z.object({ operation: z.literal("hive_install"), alias, binary: z.string().max(4096).optional(), force: z.boolean().default(false), accept_new_host_key: z.boolean().default(false) }).strict(),
  z.object({ operation: z.literal("hive_uninstall"), alias, force: z.boolean().default(false) }).strict(),
  z.object({ operation: z.literal("hive_start"), alias, queen_url: z.string().url().optional() }).strict(),
  z.object({ operation: z.literal("hive_stop"), alias }).strict(),
  z.object({ operation: z.literal("hive_upgrade"), alias, binary: z.string().max(4096).optional(), queen_url: z.string().url().optional() }).strict(),
  z.object({ operation: z.literal("hive_status"), hive_id: hiveId }).strict(),
  z
    .object({
      operation: z.literal("worker_spawn"),
      hive_id: hiveId,
      model: id,
      device: deviceChoice,
      gpu_layers: z.union([z.enum(["auto", "max"]), z.number().int().min(0).max(10_000)]).optional(),
      slots: z.number().int().min(1).max(64).default(DEFAULT_WORKER_SLOTS),
      restart: z.enum(["always", "on-failure", "never"]).default("on-failure"),
      ctx: z.number().int().min(64).max(1_048_576).optional(),
      /** The least context per slot the request that caused this spawn needs (prompt + max_tokens). */
      min_ctx: z.number().int().min(1).max(1_048_576).optional(),
      /** A chat wrapper by name instead of the one the model's GGUF implies. */
      chat_template: z.enum(CHAT_TEMPLATES).optional(),
      keep_alive: keepAlive.optional(),
      /** Started by the queen or hive for a request (not by hand): it unloads when idle and may be evicted. */
      on_demand: z.boolean().optional(),
    })
    .strict(),
  z.object({ operation: z.literal("engine_list"), hive_id: id.optional() }).strict(),
  z
    .object({
      operation: z.literal("engine_install"),
      hive_id: hiveId,
      backend: gpuBackend,
      /** Tarballs already on the hive's machine (absolute paths there). */
      from: z.array(z.string().min(1).max(4096)).min(1).max(4).optional(),
      /** Tarballs the keeper uploaded to the hive first (names from the engine upload route). */
      uploaded: z.array(z.string().min(1).max(255)).min(1).max(4).optional(),
      registry: z.string().url().optional(),
    })
    .strict()
    .refine((o) => [o.from, o.uploaded, o.registry].filter((x) => x !== undefined).length <= 1, "give at most one of from, uploaded or registry"),
  z.object({ operation: z.literal("engine_remove"), hive_id: hiveId, backend: gpuBackend }).strict(),
  z.object({ operation: z.literal("device_list"), hive_id: id.optional() }).strict(),
  // What a model needs on one hive and the devices there now: the queen's placement across hives asks each.
  z
    .object({
      operation: z.literal("model_fit"),
      hive_id: hiveId,
      model: id,
      device: deviceChoice,
      slots: z.number().int().min(1).max(64).default(DEFAULT_WORKER_SLOTS),
      ctx: z.number().int().min(64).max(1_048_576).optional(),
    })
    .strict(),
  z.object({ operation: z.literal("worker_list"), hive_id: id.optional() }).strict(),
  z.object({ operation: z.literal("worker_get"), hive_id: hiveId, worker_id: id }).strict(),
  z.object({ operation: z.literal("worker_stop"), hive_id: hiveId, worker_id: id }).strict(),
  z.object({ operation: z.literal("model_download"), hive_id: hiveId, model: noControlAtAll(2048).pipe(z.string().min(1)) }).strict(),
  z.object({ operation: z.literal("model_list"), hive_id: hiveId }).strict(),
  z.object({ operation: z.literal("model_get"), hive_id: hiveId, model: id }).strict(),
  z.object({ operation: z.literal("model_delete"), hive_id: hiveId, model: id }).strict(),
  // No name: list the aliases; a name and a model: set it; a name and remove: delete it.
  z
    .object({ operation: z.literal("model_alias"), name: id.optional(), model: id.optional(), remove: z.boolean().default(false) })
    .strict()
    .refine((o) => (o.name === undefined ? o.model === undefined && !o.remove : o.remove === (o.model === undefined)), "give a name and a model, a name and remove, or nothing (to list)"),
  // Hive to hive through the queen: `to_hive` one hive or "all" (every other online hive); `from_hive` defaults to one that has it.
  z.object({ operation: z.literal("model_copy"), model: id, from_hive: id.optional(), to_hive: id }).strict(),
  // The target's half of a copy: fetch the files from the queen's copy route with a one-copy ticket, checked by sha256.
  z
    .object({
      operation: z.literal("model_receive"),
      hive_id: hiveId,
      model: id,
      source: noControlAtAll(2048),
      url: z.string().url().max(2048),
      ticket: z.string().regex(/^[A-Za-z0-9_-]{16,128}$/),
      files: z.array(ModelFile).min(1).max(256),
    })
    .strict(),
  z
    .object({ operation: z.literal("infer"), hive_id: id.optional(), worker_id: id.optional(), model: id, prompt: noControl(100_000).optional(), messages: z.array(ChatMessage).min(1).max(256).optional(), keep_alive: keepAlive.optional(), ...SamplingFields })
    .strict()
    .refine((o) => (o.prompt === undefined) !== (o.messages === undefined), "give exactly one of prompt or messages")
    .refine((o) => o.format === undefined || o.grammar === undefined, "give at most one of format or grammar"),
  z.object({ operation: z.literal("embed"), hive_id: id.optional(), worker_id: id.optional(), model: id, input: z.array(noControl(100_000)).min(1).max(256), keep_alive: keepAlive.optional() }).strict(),
  // Scores documents against a query with a reranker model (llama-server's /v1/rerank).
  z.object({ operation: z.literal("rank"), hive_id: id.optional(), worker_id: id.optional(), model: id, query: noControl(100_000), documents: z.array(noControl(100_000)).min(1).max(256), keep_alive: keepAlive.optional() }).strict(),
]);
export type Operation = z.infer<typeof Operation>;
export type OperationName = Operation["operation"];
export type OperationOf<N extends OperationName> = Extract<Operation, { operation: N }>;

/** Where an operation runs: on the queen itself, or on one hive (forwarded by the queen). */
export const OPERATION_TARGET: Record<OperationName, "queen" | "hive"> = {
  status: "queen",
  hive_list: "queen",
  hive_forget: "queen",
  hive_install: "queen",
  hive_uninstall: "queen",
  hive_start: "queen",
  hive_stop: "queen",
  hive_upgrade: "queen",
  hive_status: "hive",
  worker_spawn: "hive",
  engine_list: "queen",
  engine_install: "hive",
  engine_remove: "hive",
  device_list: "queen",
  model_fit: "hive",
  worker_list: "queen",
  worker_get: "hive",
  worker_stop: "hive",
  model_download: "hive",
  model_list: "hive",
  model_get: "hive",
  model_delete: "hive",
  model_alias: "queen",
  model_copy: "queen",
  model_receive: "hive",
  infer: "queen",
  embed: "queen",
  rank: "queen",
};

/** Operations the queen schedules onto a worker's slot: generation, embedding, ranking. */
export type ScheduledOp = OperationOf<"infer"> | OperationOf<"embed"> | OperationOf<"rank">;
export const isScheduled = (op: Operation): op is ScheduledOp => op.operation === "infer" || op.operation === "embed" || op.operation === "rank";

export const OPERATION_NAMES = Object.keys(OPERATION_TARGET) as OperationName[];

/**
 * Operations that only read. Dashboards poll them every second, so finished ones are kept
 * apart (briefly, few) and never push a user's own jobs out of the registry.
 */
export const READ_ONLY = new Set<OperationName>(["status", "hive_list", "hive_status", "worker_list", "worker_get", "model_list", "model_get", "engine_list", "device_list", "model_fit"]);

/** The hive an operation names, when it names one. */
export function hiveIdOf(op: Operation): string | undefined {
  return "hive_id" in op ? op.hive_id : undefined;
}
