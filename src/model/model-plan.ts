import { chmod, readFile, rename, unlink } from "node:fs/promises";
import { RbeeError } from "../protocol/errors.ts";
import { downloadFile, type DownloadResult } from "./download.ts";
import { RE_GGUF_SHARD_FILE } from "@huggingface/gguf";
import { hfAccessError, hfFileUrl, hfHeaders, resolveHfModel, type RepoFile, type ResolvedHf } from "./hf-resolve.ts";
import type { ModelFile } from "./model-record.ts";
import { copyIntoPlace } from "./local-copy.ts";
import { isInside, realOrSelf } from "./model-folders.ts";
import { formatModelSource, modelIdFromFileName, sourceFileName, type ModelSource } from "./model-source.ts";

/** Writes a demo model to `path` (wired by the hive to the GGUF writer); a seed gives other weights. */
export type CreateDemo = (path: string, opts: { seed?: number }, signal?: AbortSignal) => Promise<void> | void;

export interface PlanContext {
  signal?: AbortSignal;
  fetchImpl?: typeof fetch;
  env?: NodeJS.ProcessEnv;
  createDemo?: CreateDemo;
  retryDelayMs?: number;
  stallMs?: number;
  /** The import folder: a file there (an upload) is moved into the models folder, not copied. */
  importFolder?: string;
}

/** A source resolved to the id it gets and the way its file reaches `dest`. */
export interface ModelPlan {
  id: string;
  source: string;
  fileName: string;
  transfer: (dest: string, signal: AbortSignal) => Promise<DownloadResult>;
  /** Further files (the other shards, a vision projector): the model then gets a folder of its own. */
  extra?: PlanFile[];
}

export interface PlanFile {
  /** The file's own name, kept: llama.cpp finds shards 2…N by the first one's name. */
  name: string;
  role: Exclude<ModelFile["role"], "model">;
  transfer: (dest: string, signal: AbortSignal) => Promise<DownloadResult>;
}

const GGUF_MAGIC = "GGUF";

/**
 * Fails a download on its first bytes when they are not a GGUF file (an HTML page, a zip …).
 * The message never shows those bytes: they may be the start of a file nobody should read.
 */
export function checkGgufHead(label: string) {
  return (head: Uint8Array) => {
    const magic = new TextDecoder("latin1").decode(head.subarray(0, 4));
    if (magic !== GGUF_MAGIC) {
      const page = /^\s*</.test(new TextDecoder("latin1").decode(head)) ? "; it looks like a web page" : "";
      throw new RbeeError("NOT_GGUF", `${safeLabel(label)} is not a GGUF file (it does not start with the GGUF magic${page})`, "rbee runs GGUF models: point at a .gguf file", 422);
    }
  };
}

/** A file name fit for messages and narration: only letters, digits, '.', '_', '-'. */
const safeLabel = (name: string) => name.replace(/[^A-Za-z0-9._-]+/g, "-").slice(0, 128);

export async function planDownload(source: ModelSource, ctx: PlanContext): Promise<ModelPlan> {
  switch (source.kind) {
    case "hf": {
      const picked: ResolvedHf = source.file ? { model: namedFile(source.file) } : await resolveHfModel(source.repo, source.quant, ctx);
      const resolved: ModelSource = { kind: "hf", repo: source.repo, file: picked.model.name };
      const [first, ...rest] = picked.model.shards ?? [picked.model];
      const fetchHf = (file: RepoFile) => {
        const label = file.name.split("/").at(-1)!;
        const url = hfFileUrl(source.repo, file.name, ctx.env);
        // The listed size catches a transfer that ends early without a Content-Length to say so.
        const options = (signal: AbortSignal) => ({
          ...remoteOptions(ctx, signal, label, hfHeaders(ctx.env)),
          expectedSize: file.size,
          refused: (status: number) => (status === 401 || status === 403 ? hfAccessError(source.repo, status, ctx.env) : undefined),
        });
        return { name: label, transfer: (dest: string, signal: AbortSignal) => downloadFile(url, dest, options(signal)) };
      };
      const extra: PlanFile[] = [
        ...rest.map((f) => ({ ...fetchHf(f), role: "shard" as const })),
        ...(picked.mmproj ? [{ ...fetchHf(picked.mmproj), role: "mmproj" as const }] : []),
      ];
      return { ...plan(resolved, first.name.split("/").at(-1)!, fetchHf(first).transfer), ...(extra.length ? { extra } : {}) };
    }
    case "url": {
      const fileName = source.file;
      return plan(source, fileName, (dest, signal) => downloadFile(source.url, dest, remoteOptions(ctx, signal, fileName, {})));
    }
    case "local":
      // Copied, not registered in place: the catalog owns its files, so deleting a model
      // never touches the user's original, and moving or editing the original never
      // breaks a worker that has it loaded.
      return plan(source, sourceFileName(source)!, async (dest, signal) => {
        const label = safeLabel(sourceFileName(source)!);
        // Looked at before copying: a wrong multi-gigabyte file should fail in a millisecond.
        checkGgufHead(label)(new Uint8Array(await Bun.file(source.path).slice(0, 16).arrayBuffer()));
        // An uploaded file was only parked in the import folder for this: keeping it would hold the model twice on disk.
        const move = ctx.importFolder !== undefined && isInside(realOrSelf(ctx.importFolder), source.path);
        return copyIntoPlace(source.path, dest, { signal, label, move });
      });
    case "demo": {
      const createDemo = ctx.createDemo;
      if (!createDemo) throw new RbeeError("DEMO_UNAVAILABLE", "this hive cannot build the demo model", "use a real model source (hf:ORG/REPO, a URL or a local .gguf file)", 501);
      return plan(source, sourceFileName(source)!, (dest, signal) => writeDemo(createDemo, dest, source.seed, signal));
    }
  }
}

/**
 * A file named in the source; a shard names its whole set, whose names follow from its own
 * (x-00002-of-00003.gguf → x-00001…x-00003), so no listing is needed.
 */
function namedFile(file: string): ResolvedHf["model"] {
  const m = RE_GGUF_SHARD_FILE.exec(file);
  if (!m?.groups) return { name: file };
  const total = Number(m.groups.total);
  const shards = Array.from({ length: total }, (_, i) => ({ name: `${m.groups!.prefix}-${String(i + 1).padStart(5, "0")}-of-${m.groups!.total}.gguf` }));
  return { name: shards[0].name, shards };
}

function plan(source: ModelSource, fileName: string, transfer: ModelPlan["transfer"]): ModelPlan {
  return { id: modelIdFromFileName(fileName), source: formatModelSource(source), fileName, transfer };
}

function remoteOptions(ctx: PlanContext, signal: AbortSignal, label: string, headers: Record<string, string>) {
  return { signal, label, headers, fetchImpl: ctx.fetchImpl, checkHead: checkGgufHead(label), retryDelayMs: ctx.retryDelayMs, stallMs: ctx.stallMs };
}

async function writeDemo(createDemo: CreateDemo, dest: string, seed: number | undefined, signal: AbortSignal): Promise<DownloadResult> {
  const tmp = `${dest}.demo-${process.pid}-${Date.now()}`;
  try {
    await createDemo(tmp, seed === undefined ? {} : { seed }, signal);
    const bytes = await readFile(tmp);
    const sha256 = new Bun.CryptoHasher("sha256").update(bytes).digest("hex");
    await chmod(tmp, 0o600);
    await rename(tmp, dest);
    return { size_bytes: bytes.length, sha256, resumed_from: 0 };
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
}
