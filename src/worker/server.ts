import { narrate } from "../narration/narrate.ts";
import { checkBearer } from "../security/api-token.ts";
import { DEADLINE_HEADER, readDeadline } from "../jobs/deadline.ts";
import { RbeeError } from "../protocol/errors.ts";
import { BatchScheduler } from "./batch-scheduler.ts";
import { Embedder } from "./embedding-route.ts";
import { Ranker } from "./ranking-route.ts";
import { errorResponse, handleInference } from "./inference-route.ts";
import { loadWorkerModel, type LoadedModel } from "./model-loader.ts";
import { describeOffload, type Offload } from "../engine/offload.ts";

export interface WorkerServerOptions {
  modelPath: string;
  modelId: string;
  device?: string;
  port: number;
  /** Loopback unless told otherwise. */
  host?: string;
  slots?: number;
  threads?: number;
  /** When set, every route but /health needs `Authorization: Bearer <token>`. */
  token?: string;
  /** Tokens per slot. */
  contextSize?: number;
  /** A chat wrapper by name (node-llama-cpp's); default: the model's own. */
  chatTemplate?: string;
  /** Layers to offload on a GPU device. */
  gpuLayers?: "auto" | "max" | number;
}

export interface WorkerServer {
  url: string;
  port: number;
  /** Resolves once the model is loaded (rejects with the reason when it cannot be). */
  ready: Promise<{ loadMs: number; offload: Offload; contextSize: number; chatTemplate: string }>;
  stop(): Promise<void>;
}

type State =
  | { status: "loading" }
  | { status: "ready"; loaded: LoadedModel; scheduler: BatchScheduler; embedder: Embedder; ranker: Ranker }
  | { status: "failed"; error: RbeeError };

/**
 * The worker's HTTP face: one model, `slots` parallel generations batched together.
 * It listens first and loads after, so a supervisor polling /health sees "loading".
 */
export async function startWorkerServer(opts: WorkerServerOptions): Promise<WorkerServer> {
  const device = opts.device ?? "cpu:0";
  const slots = opts.slots ?? 1;
  if (!Number.isInteger(slots) || slots < 1) throw new RbeeError("INVALID_SLOTS", `Slots must be a whole number ≥ 1, not ${slots}.`, "Use --slots 1 or more.");
  let state: State = { status: "loading" };
  const stopping = new AbortController();

  const server = Bun.serve({
    hostname: opts.host ?? "127.0.0.1",
    port: opts.port,
    // Token streams can pause longer than Bun's 10 s default (a long prefill on a big model).
    idleTimeout: 0,
    maxRequestBodySize: 2 * 1024 * 1024,
    async fetch(req) {
      const { pathname } = new URL(req.url);
      try {
        if (req.method === "GET" && pathname === "/health") {
          if (state.status === "failed") return Response.json({ status: "failed", ...state.error.toBody() }, { status: 500 });
          return Response.json({ status: state.status });
        }
        // Everything but /health needs the token the hive gave this worker.
        if (opts.token) checkBearer(req.headers.get("authorization"), opts.token);
        // A deadline already past is refused; one in the future is enforced by the hive, which
        // closes this request when it is reached (and a closed request frees its slot).
        readDeadline(req.headers.get(DEADLINE_HEADER));
        if (req.method === "GET" && pathname === "/v1/info") {
          const s = state.status === "ready" ? state.scheduler : undefined;
          return Response.json({
            model: opts.modelId,
            device,
            ...(state.status === "ready" ? state.loaded.offload : {}),
            slots,
            busy: s?.busy ?? 0,
            pid: process.pid,
            status: state.status,
            threads: state.status === "ready" ? state.loaded.threads : undefined,
            cpu_engine: state.status === "ready" ? state.loaded.cpuBuild : undefined,
            context_size: s?.sequenceContextSize,
            chat_template: state.status === "ready" ? state.loaded.chatWrapper.wrapperName : undefined,
            decode_steps: s?.steps ?? 0,
            tokens_generated: s?.tokensGenerated ?? 0,
            prompt_tokens_evaluated: s?.promptTokensEvaluated ?? 0,
          });
        }
        if (req.method === "POST" && (pathname === "/v1/inference" || pathname === "/v1/embeddings" || pathname === "/v1/rank")) {
          if (state.status === "loading") {
            throw new RbeeError("WORKER_LOADING", "The model is still loading.", "Retry in a moment.", 503);
          }
          if (state.status === "failed") throw state.error;
          // Their own contexts decode between the generation's steps, never beside one.
          const { scheduler, embedder, ranker } = state;
          if (pathname === "/v1/embeddings") return await scheduler.exclusive(() => embedder.handle(req));
          if (pathname === "/v1/rank") return await scheduler.exclusive(() => ranker.handle(req));
          return await handleInference(req, state.loaded, state.scheduler, opts.modelId, stopping.signal);
        }
        throw new RbeeError("NOT_FOUND", `No route ${req.method} ${pathname}.`, "Routes: GET /health, GET /v1/info, POST /v1/inference, POST /v1/embeddings, POST /v1/rank.", 404);
      } catch (err) {
        const e = RbeeError.from(err);
        return errorResponse(e, e.status === 503 ? { "retry-after": "1" } : {});
      }
    },
  });

  const ready = loadWorkerModel({ modelPath: opts.modelPath, device, slots, threads: opts.threads, contextSize: opts.contextSize, chatTemplate: opts.chatTemplate, gpuLayers: opts.gpuLayers }).then(
    (loaded) => {
      const scheduler = new BatchScheduler(loaded.model, loaded.context, slots);
      state = { status: "ready", loaded, scheduler, embedder: new Embedder(loaded, scheduler.sequenceContextSize), ranker: new Ranker(loaded, scheduler.sequenceContextSize, opts.modelId) };
      narrate("worker_ready", `Model ${opts.modelId} ready on ${device} in ${Math.round(loaded.loadMs)} ms (${slots} slot(s), ${loaded.threads} thread(s)${loaded.cpuBuild ? `, ${loaded.cpuBuild} CPU engine` : ""}; ${describeOffload(loaded.offload)})`);
      return { loadMs: loaded.loadMs, offload: loaded.offload, contextSize: scheduler.sequenceContextSize, chatTemplate: loaded.chatWrapper.wrapperName };
    },
    (err) => {
      const error = RbeeError.from(err);
      state = { status: "failed", error };
      narrate("worker_load_failed", error.message, { level: "error" });
      throw error;
    },
  );
  // Callers that never await `ready` must not crash the process on a failed load.
  ready.catch(() => {});

  return {
    url: `http://${server.hostname}:${server.port}`,
    port: server.port!,
    ready,
    async stop() {
      stopping.abort();
      await server.stop(true);
      await ready.catch(() => {});
      if (state.status === "ready") {
        await state.scheduler.idle();
        await state.embedder.dispose();
        await state.ranker.dispose();
        await state.loaded.dispose();
      }
    },
  };
}
