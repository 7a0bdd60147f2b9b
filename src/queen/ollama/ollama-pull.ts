import type { Context } from "hono";
import { z } from "zod";
import { RbeeError } from "../../protocol/errors.ts";
import { Operation, type OperationOf } from "../../protocol/operations.ts";
import type { HiveDirectory } from "../hive-directory.ts";
import { startInferJob } from "../infer-job.ts";
import { safeStream, type InferDeps } from "../infer-request.ts";
import { parseOllama } from "./ollama-requests.ts";

const PullRequest = z.object({ model: z.string().min(1).max(2048).optional(), name: z.string().min(1).max(2048).optional(), stream: z.boolean().nullish(), insecure: z.boolean().nullish() }).strict();

/**
 * What to download for an Ollama model name. rbee downloads GGUF files, not Ollama's registry:
 * `hf.co/ORG/REPO` (Ollama's own spelling for Hugging Face; `:Q5_K_M` picks a quant, `:FILE.gguf` a file) and
 * rbee's sources (`hf:…`, an https URL, `demo:tiny`) are understood; a bare library name is not.
 */
export function sourceOf(name: string): string {
  const hf = name.match(/^(?:https?:\/\/)?(?:hf\.co|huggingface\.co)\/([^/:]+\/[^/:]+)(?::(.+))?$/);
  if (hf) {
    const tag = hf[2];
    if (!tag || tag === "latest") return `hf:${hf[1]}`;
    // A quant tag or a file name; the hf: parser refuses anything else with the accepted forms.
    return `hf:${hf[1]}:${tag}`;
  }
  if (/^(hf:|https:\/\/|demo:)/.test(name)) return name;
  throw new RbeeError("UNSUPPORTED", `${name} is an Ollama library name; rbee downloads GGUF files`, "Pull hf.co/ORG/REPO (a Hugging Face GGUF repository) instead.");
}

/** `POST /api/pull` as a `model_download` job on the local hive (else the first online one), with its progress. */
export async function handlePull(c: Context, body: unknown, deps: InferDeps & { hives: HiveDirectory }): Promise<Response> {
  const req = parseOllama(PullRequest, body);
  const name = req.model ?? req.name;
  if (!name) throw new RbeeError("INVALID_REQUEST", "give the model to pull in `model`");
  const online = deps.hives.list().filter((h) => h.state === "online");
  const hive = online.find((h) => h.id === "localhost") ?? online[0];
  if (!hive) throw new RbeeError("NO_HIVE", "no hive is online to download to", "Start one: `rbee hive start --host …`.", 503);
  const op = Operation.parse({ operation: "model_download", hive_id: hive.id, model: sourceOf(name) }) as OperationOf<"model_download">;
  let onProgress: (line: object) => void = () => {};
  const run = startInferJob(deps.registry, deps.executor, op, () => {}, {
    correlationId: c.req.header("x-correlation-id"),
    onNarration: (e) => e.progress && onProgress({ status: `pulling ${name}`, digest: "", total: e.progress.total ?? 0, completed: e.progress.current }),
  });
  if (req.stream === false) {
    await run.outcome;
    return c.json({ status: "success" }, 200, { "x-rbee-job-id": run.job.id });
  }
  const encoder = new TextEncoder();
  const stream = safeStream(
    (send, close) => {
      const line = (o: object) => send(encoder.encode(`${JSON.stringify(o)}\n`));
      line({ status: "pulling manifest" });
      onProgress = line;
      run.outcome.then(
        () => {
          line({ status: "success" });
          close();
        },
        (err) => {
          line({ error: RbeeError.from(err).message });
          close();
        },
      );
    },
    () => run.cancel("the client disconnected"),
  );
  return new Response(stream, { headers: { "content-type": "application/x-ndjson", "x-rbee-job-id": run.job.id } });
}
