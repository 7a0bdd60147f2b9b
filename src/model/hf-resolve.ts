import { GGMLFileQuantizationType, GGUF_QUANT_ORDER, RE_GGUF_SHARD_FILE, parseGGUFQuantLabel } from "@huggingface/gguf";
import { z } from "zod";
import { narrate } from "../narration/narrate.ts";
import { RbeeError } from "../protocol/errors.ts";
import { displayUrl, statusError, unreachableError } from "./download-errors.ts";
import { checkRepoFile } from "./model-source.ts";

/**
 * Hugging Face's base URL: `RBEE_HF_ENDPOINT`, else `HF_ENDPOINT` (the variable Hugging Face's
 * own tools read, so a mirror set up for them serves rbee too), else huggingface.co.
 */
export function hfEndpoint(env: NodeJS.ProcessEnv = process.env): string {
  const name = env.RBEE_HF_ENDPOINT ? "RBEE_HF_ENDPOINT" : "HF_ENDPOINT";
  const base = env[name] || "https://huggingface.co";
  if (!/^https?:\/\/[^/]/i.test(base)) {
    throw new RbeeError("INVALID_CONFIG", `${name} "${base}" is not an http(s) URL`, `unset ${name} or set it to a URL like https://huggingface.co`);
  }
  return base.replace(/\/+$/, "");
}

const hfToken = (env: NodeJS.ProcessEnv) => env.HF_TOKEN || env.HUGGING_FACE_HUB_TOKEN;

/** A token for gated and private repos, sent only to the Hugging Face endpoint (never on a redirect elsewhere). */
export function hfHeaders(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const token = hfToken(env);
  return token ? { Authorization: `Bearer ${token}` } : {};
}

export function hfFileUrl(repo: string, file: string, env: NodeJS.ProcessEnv = process.env): string {
  const path = file.split("/").map(encodeURIComponent).join("/");
  return `${hfEndpoint(env)}/${repo}/resolve/main/${path}`;
}

/**
 * A refusal from Hugging Face, saying which repo and what to do: without a token it is a gated
 * or private repo (MODEL_GATED); with one, the token lacks access (MODEL_FORBIDDEN). The token
 * itself never appears.
 */
export function hfAccessError(repo: string, status: number, env: NodeJS.ProcessEnv = process.env): RbeeError {
  if (!hfToken(env)) {
    return new RbeeError(
      "MODEL_GATED",
      `the Hugging Face repo ${repo} needs a token (HTTP ${status}): it is gated or private`,
      `set HF_TOKEN to a Hugging Face access token on the hive, and accept the repo's terms on huggingface.co/${repo}`,
      401,
    );
  }
  return new RbeeError("MODEL_FORBIDDEN", `the Hugging Face repo ${repo} refused HF_TOKEN (HTTP ${status})`, `accept the repo's terms on huggingface.co/${repo} with the token's account, or check that HF_TOKEN can read it`, 403);
}

export interface RepoFile {
  name: string;
  size?: number;
}

/** One model a repo offers: one file, or all shards of one (`name` is the first shard, the file workers load). */
export interface RepoModel extends RepoFile {
  /** Every shard in order, the first included; absent for a single file. */
  shards?: RepoFile[];
}

export interface RepoListing {
  models: RepoModel[];
  /** Vision projectors: kept beside a model, never run as one. */
  mmproj: RepoFile[];
}

const ModelInfo = z.object({
  siblings: z.array(z.object({ rfilename: z.string(), size: z.number().optional() })).default([]),
});

type ListOptions = { signal?: AbortSignal; fetchImpl?: typeof fetch; env?: NodeJS.ProcessEnv };

/** The repo's GGUF models (single files and complete shard sets) and its vision projectors. */
export async function listRepo(repo: string, opts: ListOptions = {}): Promise<RepoListing> {
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
  if (res.status === 401 || res.status === 403) {
    await res.body?.cancel();
    throw hfAccessError(repo, res.status, opts.env);
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw statusError(res.status, url);
  }
  const parsed = ModelInfo.safeParse(await res.json().catch(() => undefined));
  if (!parsed.success) {
    throw new RbeeError("DOWNLOAD_FAILED", `${displayUrl(url)} did not answer a model listing`, "check HF_ENDPOINT, or name the file: hf:ORG/REPO:FILE.gguf", 502);
  }
  const files = parsed.data.siblings
    .filter((s) => isSafeRepoFile(s.rfilename))
    .map((s) => ({ name: s.rfilename, ...(s.size !== undefined ? { size: s.size } : {}) }));
  const mmproj = files.filter((f) => isMmproj(f.name));
  const models = files.filter((f) => !isMmproj(f.name) && !RE_GGUF_SHARD_FILE.test(f.name));
  return { models: [...models, ...shardSets(files.filter((f) => !isMmproj(f.name)))], mmproj };
}

const isMmproj = (name: string) => /mmproj/i.test(name.split("/").at(-1)!);

/** Shards grouped into models; a set with a shard missing is left out (it could never load). */
function shardSets(files: RepoFile[]): RepoModel[] {
  const sets = new Map<string, RepoFile[]>();
  for (const f of files) {
    const m = RE_GGUF_SHARD_FILE.exec(f.name);
    if (!m?.groups) continue;
    const key = `${m.groups.prefix}\0${m.groups.total}`;
    sets.set(key, [...(sets.get(key) ?? []), f]);
  }
  const models: RepoModel[] = [];
  for (const [key, shards] of sets) {
    const total = Number(key.split("\0")[1]);
    const ordered = [...shards].sort((a, b) => a.name.localeCompare(b.name));
    if (ordered.length !== total || ordered.some((s, i) => Number(RE_GGUF_SHARD_FILE.exec(s.name)!.groups!.shard) !== i + 1)) continue;
    const size = ordered.every((s) => s.size !== undefined) ? ordered.reduce((a, s) => a + s.size!, 0) : undefined;
    models.push({ name: ordered[0].name, ...(size !== undefined ? { size } : {}), shards: ordered });
  }
  return models;
}

function isSafeRepoFile(name: string): boolean {
  try {
    checkRepoFile(name);
    return true;
  } catch {
    return false;
  }
}

export const quantOf = (name: string) => parseGGUFQuantLabel(name.split("/").at(-1)!)?.toUpperCase();

/** Quality and size balanced for a home lab first (Ollama's default is Q4_K_M too); then the smallest file there is. */
const PREFERRED = ["Q4_K_M", "Q4_0", "Q5_K_M", "Q8_0"];

/** The model to download: the one with `quant` when asked for, else the preferred quant. */
export function pickGgufFile(files: RepoModel[], repo: string, quant?: string): string {
  if (files.length === 0) {
    throw new RbeeError("NO_GGUF_FILES", `the Hugging Face repo ${repo} has no .gguf model`, "pick a GGUF repo (their names usually end in -GGUF), or give a URL or local file", 404);
  }
  if (quant) {
    const matches = files.filter((f) => quantOf(f.name) === quant);
    if (!matches.length) {
      const have = quantsOf(files);
      throw new RbeeError(
        "UNKNOWN_QUANT",
        `the Hugging Face repo ${repo} has no ${quant} model${have.length ? ` (it has ${have.join(", ")})` : ""}`,
        have.length ? `pick one of them: hf:${repo}:${have[0]}` : `name a file instead: hf:${repo}:FILE.gguf`,
        404,
      );
    }
    return smallest(matches).name;
  }
  for (const preferred of PREFERRED) {
    const matches = files.filter((f) => quantOf(f.name) === preferred);
    if (matches.length) return smallest(matches).name;
  }
  return smallest(files).name;
}

/** The quant labels a repo offers, each once, in listing order. */
export function quantsOf(files: RepoFile[]): string[] {
  return [...new Set(files.map((f) => quantOf(f.name)).filter((q): q is string => q !== undefined))];
}

function smallest<T extends RepoFile>(files: T[]): T {
  if (files.every((f) => f.size !== undefined)) return [...files].sort((a, b) => a.size! - b.size! || a.name.localeCompare(b.name))[0];
  // Without sizes, the quant label says how big a file is: later in GGUF_QUANT_ORDER is smaller.
  const rank = (f: RepoFile) => {
    const label = quantOf(f.name);
    const type = label ? (GGMLFileQuantizationType as unknown as Record<string, number>)[label] : undefined;
    return type === undefined ? -1 : GGUF_QUANT_ORDER.indexOf(type);
  };
  return [...files].sort((a, b) => rank(b) - rank(a) || a.name.localeCompare(b.name))[0];
}

/** The projector to keep beside `model`: the one of the model's quant, else F16, else the first listed. */
export function pickMmproj(mmproj: RepoFile[], model: string): RepoFile | undefined {
  const quant = quantOf(model);
  return mmproj.find((f) => quant && quantOf(f.name) === quant) ?? mmproj.find((f) => quantOf(f.name) === "F16") ?? mmproj[0];
}

export interface ResolvedHf {
  model: RepoModel;
  mmproj?: RepoFile;
}

/** Resolves `hf:ORG/REPO[:QUANT]` to one model (with its shards and projector), and says which one and why. */
export async function resolveHfModel(repo: string, quant: string | undefined, opts: ListOptions = {}): Promise<ResolvedHf> {
  narrate("model_resolve", `listing the GGUF files of ${repo}`, { repo });
  const { models, mmproj } = await listRepo(repo, opts);
  const name = pickGgufFile(models, repo, quant);
  const model = models.find((f) => f.name === name)!;
  const projector = pickMmproj(mmproj, name);
  const label = quantOf(name);
  const others = quantsOf(models).filter((q) => q !== label);
  const why = quant ? `the ${quant} model` : `${label ?? "the default"}${others.length ? `, the default; the repo also has ${others.join(", ")}: name one with hf:${repo}:QUANT` : ""}`;
  const parts = model.shards ? `, ${model.shards.length} shards` : "";
  narrate("model_resolve", `picked ${name} (${why}${parts})${projector ? `, with the vision projector ${projector.name}` : ""}`, {
    repo,
    file: name,
    ...(label ? { quant: label } : {}),
    ...(model.shards ? { shards: model.shards.length } : {}),
    ...(projector ? { mmproj: projector.name } : {}),
  });
  return { model, ...(projector ? { mmproj: projector } : {}) };
}
