import { chmod, readFile, rename, unlink } from "node:fs/promises";
import { RbeeError } from "../protocol/errors.ts";
import { downloadFile, type DownloadResult } from "./download.ts";
import { hfFileUrl, hfHeaders, resolveHfFile } from "./hf-resolve.ts";
import { copyIntoPlace } from "./local-copy.ts";
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
}

/** A source resolved to the id it gets and the way its file reaches `dest`. */
export interface ModelPlan {
  id: string;
  source: string;
  fileName: string;
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
      const picked = source.file ? { name: source.file } : await resolveHfFile(source.repo, ctx);
      const resolved: ModelSource = { kind: "hf", repo: source.repo, file: picked.name };
      const fileName = sourceFileName(resolved)!;
      const url = hfFileUrl(source.repo, picked.name, ctx.env);
      // The listed size catches a transfer that ends early without a Content-Length to say so.
      const options = (signal: AbortSignal) => ({ ...remoteOptions(ctx, signal, fileName, hfHeaders(ctx.env)), expectedSize: picked.size });
      return plan(resolved, fileName, (dest, signal) => downloadFile(url, dest, options(signal)));
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
        return copyIntoPlace(source.path, dest, { signal, label });
      });
    case "demo": {
      const createDemo = ctx.createDemo;
      if (!createDemo) throw new RbeeError("DEMO_UNAVAILABLE", "this hive cannot build the demo model", "use a real model source (hf:ORG/REPO, a URL or a local .gguf file)", 501);
      return plan(source, sourceFileName(source)!, (dest, signal) => writeDemo(createDemo, dest, source.seed, signal));
    }
  }
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
