import { GGMLFileQuantizationType, GGUF_QUANT_ORDER, RE_GGUF_SHARD_FILE, parseGGUFQuantLabel } from "@huggingface/gguf";
import { z } from "zod";
import { narrate } from "../narration/narrate.ts";
import { RbeeError } from "../protocol/errors.ts";
import { displayUrl, statusError, unreachableError } from "./download-errors.ts";
import { checkRepoFile } from "./model-source.ts";

/** Hugging Face's base URL; `RBEE_HF_ENDPOINT` points it at a mirror (or, in tests, loopback). */
export function hfEndpoint(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.RBEE_HF_ENDPOINT || "https://huggingface.co";
  if (!/^https?:\/\/[^/]/i.test(base)) {
    throw new RbeeError("INVALID_CONFIG", `RBEE_HF_ENDPOINT "${base}" is not an http(s) URL`, "unset RBEE_HF_ENDPOINT or set it to a URL like https://huggingface.co");
  }
  return base.replace(/\/+$/, "");
}

/** A token for gated and private repos, sent only to the Hugging Face endpoint. */
export function hfHeaders(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const token = env.HF_TOKEN || env.HUGGING_FACE_HUB_TOKEN;
  return token ? { Authorization: `Bearer ${token}` } : {};
}

export function hfFileUrl(repo: string, file: string, env: NodeJS.ProcessEnv = process.env): string {
  const path = file.split("/").map(encodeURIComponent).join("/");
  return `${hfEndpoint(env)}/${repo}/resolve/main/${path}`;
}

export interface RepoFile {
  name: string;
  size?: number;
}

const ModelInfo = z.object({
  siblings: z.array(z.object({ rfilename: z.string(), size: z.number().optional() })).default([]),
});

/** The repo's single-file GGUF models (shards and vision projectors cannot run on their own). */
export async function listGgufFiles(
  repo: string,
  opts: { signal?: AbortSignal; fetchImpl?: typeof fetch; env?: NodeJS.ProcessEnv } = {},
): Promise<RepoFile[]> {
  const url = `${hfEndpoint(opts.env)}/api/models/${repo}?blobs=true`;
  let res: Response;
  try {
    res = await (opts.fetchImpl ?? fetch)(url, { headers: hfHeaders(opts.env), signal: opts.signal });
  } catch (err) {
    if (opts.signal?.aborted) throw opts.signal.reason instanceof RbeeError ? opts.signal.reason : new RbeeError("CANCELLED", "cancelled while listing the repo", undefined, 499);
    throw unreachableError(url, err);
  }
  if (res.status === 404) {
    await res.body?.cancel();
    throw new RbeeError("MODEL_NOT_FOUND", `no Hugging Face repo ${repo}`, "check the repo name on huggingface.co (ORG/REPO)", 404);
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw statusError(res.status, url);
  }
  const parsed = ModelInfo.safeParse(await res.json().catch(() => undefined));
  if (!parsed.success) {
    throw new RbeeError("DOWNLOAD_FAILED", `${displayUrl(url)} did not answer a model listing`, "check RBEE_HF_ENDPOINT, or name the file: hf:ORG/REPO:FILE.gguf", 502);
  }
  return parsed.data.siblings
    .filter((s) => isSafeRepoFile(s.rfilename) && !RE_GGUF_SHARD_FILE.test(s.rfilename) && !/mmproj/i.test(s.rfilename))
    .map((s) => ({ name: s.rfilename, ...(s.size !== undefined ? { size: s.size } : {}) }));
}

function isSafeRepoFile(name: string): boolean {
  try {
    checkRepoFile(name);
    return true;
  } catch {
    return false;
  }
}

/** Quality and size balanced for a home lab first; then the smallest file there is. */
const PREFERRED = ["Q4_K_M", "Q4_0", "Q5_K_M", "Q8_0"];

export function pickGgufFile(files: RepoFile[], repo: string): string {
  if (files.length === 0) {
    throw new RbeeError("NO_GGUF_FILES", `the Hugging Face repo ${repo} has no single-file .gguf model`, "pick a GGUF repo (their names usually end in -GGUF), or give a URL or local file", 404);
  }
  for (const quant of PREFERRED) {
    const matches = files.filter((f) => parseGGUFQuantLabel(f.name)?.toUpperCase() === quant);
    if (matches.length) return smallest(matches).name;
  }
  return smallest(files).name;
}

function smallest(files: RepoFile[]): RepoFile {
  if (files.every((f) => f.size !== undefined)) return [...files].sort((a, b) => a.size! - b.size! || a.name.localeCompare(b.name))[0];
  // Without sizes, the quant label says how big a file is: later in GGUF_QUANT_ORDER is smaller.
  const rank = (f: RepoFile) => {
    const label = parseGGUFQuantLabel(f.name)?.toUpperCase();
    const type = label ? (GGMLFileQuantizationType as unknown as Record<string, number>)[label] : undefined;
    const i = type === undefined ? -1 : GGUF_QUANT_ORDER.indexOf(type);
    return i;
  };
  return [...files].sort((a, b) => rank(b) - rank(a) || a.name.localeCompare(b.name))[0];
}

/** Resolves `hf:ORG/REPO` to one file (with its size when listed), and says which one and why. */
export async function resolveHfFile(
  repo: string,
  opts: { signal?: AbortSignal; fetchImpl?: typeof fetch; env?: NodeJS.ProcessEnv } = {},
): Promise<RepoFile> {
  narrate("model_resolve", `listing the GGUF files of ${repo}`, { repo });
  const files = await listGgufFiles(repo, opts);
  const name = pickGgufFile(files, repo);
  const others = files.length - 1;
  narrate("model_resolve", `picked ${name}${others ? ` (${others} other GGUF file${others > 1 ? "s" : ""}; name one with hf:${repo}:FILE.gguf)` : ""}`, { repo, file: name });
  return files.find((f) => f.name === name)!;
}
