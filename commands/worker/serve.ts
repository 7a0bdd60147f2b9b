import { basename } from "node:path";
import { Command, Option, UsageError } from "clipanion";
import * as t from "typanion";
import { setLogWriter } from "../../src/narration/log-sink.ts";
import { setNarrationActor } from "../../src/narration/narrate.ts";
import { RbeeError } from "../../src/protocol/errors.ts";
import { loadApiToken } from "../../src/security/api-token.ts";
import { RbeeCommand } from "../rbee-command.ts";
import { parseGpuLayers } from "../gpu-layers-option.ts";
import { CHAT_TEMPLATES, chatTemplateNamed } from "../../src/config/model-config.ts";
import { allowPoolThreadHold } from "../../src/engine/one-openmp-team.ts";

export class WorkerServeCommand extends RbeeCommand {
  static paths = [["worker", "serve"]];
  static usage = Command.Usage({
    category: "Worker",
    description: "run one model as a worker process in the foreground",
    details: `
      Loads one GGUF model with llama.cpp (node-llama-cpp) and serves it over HTTP on 127.0.0.1:
      \`GET /health\`, \`GET /v1/info\` and \`POST /v1/inference\` (tokens streamed as SSE).
      Hives start this command for you (\`rbee worker spawn\`); run it by hand to try a model.

      The inference body is JSON: \`prompt\` (text) or \`messages\` ([{role, content}], rendered
      with the model's chat template), and optionally \`max_tokens\` (128), \`temperature\` (0.8),
      \`top_p\`, \`top_k\`, \`seed\`, \`stop\` (strings). The stream sends \`started\`, \`token\`
      ({text}) events and ends with \`done\` ({tokens, ttft_ms, tokens_per_s, finish_reason}) or
      \`error\`. A client that disconnects stops its generation.

      \`--slots N\` lets N requests generate at once: they share each decode step (one llama.cpp
      batch), so two streams cost far less than twice one. When every slot is busy the worker
      answers 503 with Retry-After.

      When the model is loaded it prints one JSON line on stdout,
      \`{"event":"ready","port":…,"load_ms":…}\`; if loading fails it prints
      \`{"event":"failed","error":{…}}\`, says why on stderr and exits 1. SIGTERM or Ctrl-C
      stops it (exit 0). Log lines go to stderr.
    `,
    examples: [
      ["Serve a model on port 7900", "$0 worker serve --model ~/models/tiny.gguf --port 7900"],
      ["Two parallel slots, one thread", "$0 worker serve --model ./demo-tiny.gguf --model-id demo-tiny --port 7901 --slots 2 --threads 1"],
    ],
  });

  model = Option.String("--model", { required: true, description: "path of the GGUF model file" });
  modelId = Option.String("--model-id", { description: "name reported to clients (default: the file name without .gguf)" });
  device = Option.String("--device", "cpu:0", { description: "device to run on: cpu:0, cuda:N, vulkan:N, metal:0 (a hive pins N in the environment)" });
  gpuLayers = Option.String("--gpu-layers", { description: "layers to offload on a GPU device: auto (what fits, default), max or a number" });
  port = Option.String("--port", { required: true, description: "port to listen on (workers use 7900 and up; 0 picks a free one)", validator: t.isNumber() });
  slots = Option.String("--slots", "1", { description: "requests that can generate at the same time", validator: t.isNumber() });
  threads = Option.String("--threads", { description: "CPU threads (default: RBEE_WORKER_THREADS, else 1 for tiny models, else all math cores)", validator: t.isNumber() });
  ctx = Option.String("--ctx", { description: "context tokens per slot (default: the model's, at most 4096)", validator: t.isNumber() });
  chatTemplate = Option.String("--chat-template", { description: `chat wrapper by name instead of the model's own: ${CHAT_TEMPLATES.join(", ")}` });

  async run(): Promise<number> {
    if (!Number.isInteger(this.port) || this.port < 0 || this.port > 65535) throw new UsageError(`--port must be 0..65535, not ${this.port}`);
    if (!Number.isInteger(this.slots) || this.slots < 1) throw new UsageError(`--slots must be 1 or more, not ${this.slots}`);
    // RBEE_WORKER_THREADS sets the default for every worker a hive starts (benchmarks pin it).
    this.threads ??= process.env.RBEE_WORKER_THREADS ? Number(process.env.RBEE_WORKER_THREADS) : undefined;
    if (this.threads !== undefined && (!Number.isInteger(this.threads) || this.threads < 1)) throw new UsageError("--threads must be 1 or more");
    const chatTemplate = this.chatTemplate === undefined ? undefined : chatTemplateNamed(this.chatTemplate);
    setNarrationActor("worker");
    allowPoolThreadHold();
    setLogWriter((line) => process.stderr.write(`${line}\n`));
    const { startWorkerServer } = await import("../../src/worker/server.ts");
    const server = await startWorkerServer({
      modelPath: this.model,
      modelId: this.modelId ?? basename(this.model).replace(/\.gguf$/i, ""),
      device: this.device,
      port: this.port,
      slots: this.slots,
      threads: this.threads,
      contextSize: this.ctx,
      chatTemplate,
      gpuLayers: parseGpuLayers(this.gpuLayers),
      token: loadApiToken(),
    });
    let stopSignal!: () => void;
    const stopped = new Promise<void>((resolve) => (stopSignal = resolve));
    // `on`, not `once`: signal-exit (pulled in by node-llama-cpp) re-raises a signal that has
    // no listener left once handlers ran, which turns a clean stop into exit 143.
    process.on("SIGINT", stopSignal);
    process.on("SIGTERM", stopSignal);
    // A hive killed outright (SIGKILL) cannot stop its workers: each worker notices that its
    // parent is gone (it is re-parented) and stops itself, so no orphan keeps a model loaded.
    const parent = process.ppid;
    const orphanWatch = setInterval(() => {
      if (process.ppid !== parent) stopSignal();
    }, 500);
    try {
      const { loadMs, offload, contextSize, chatTemplate: wrapper } = await server.ready.catch(async (err) => {
        this.context.stdout.write(`${JSON.stringify({ event: "failed", ...RbeeError.from(err).toBody() })}\n`);
        await server.stop();
        throw err;
      });
      this.context.stdout.write(`${JSON.stringify({ event: "ready", port: server.port, load_ms: Math.round(loadMs), context_size: contextSize, chat_template: wrapper, ...offload })}\n`);
      // Loading leaves garbage behind (module set-up, the engine's start, header parsing): a
      // worker then idles for a long time, so collect it now rather than carry it (~10+ MiB).
      Bun.gc(true);
      await stopped;
      await server.stop();
    } finally {
      clearInterval(orphanWatch);
      process.off("SIGINT", stopSignal);
      process.off("SIGTERM", stopSignal);
    }
    return 0;
  }
}
