import { basename, join } from "node:path";
import { RbeeError } from "../protocol/errors.ts";
import type { OperationOf } from "../protocol/operations.ts";
import { downloadFile } from "./download.ts";
import { checkGgufHead, type ModelPlan, type PlanFile } from "./model-plan.ts";
import type { ModelFile, ModelRecord } from "./model-record.ts";
import { isInside } from "./model-folders.ts";
import { validateModelId } from "./model-source.ts";

/** Every file of a model; a record older than the files list has one file, `path` (always `ID.gguf` in the models folder). */
export function modelFiles(record: ModelRecord): ModelFile[] {
  if (record.files?.length) return record.files;
  if (!record.sha256) throw new RbeeError("MODEL_NO_CHECKSUM", `${record.id} has no recorded sha256, so a copy could not be checked`, `download it again on its hive (rbee model delete ${record.id}, then rbee model download ${record.source})`, 409);
  return [{ name: basename(record.path), size_bytes: record.size_bytes, sha256: record.sha256, role: "model" }];
}

/**
 * `GET /v1/models/files/ID/INDEX`: one file of a catalogued model, whole or from a byte offset
 * (`Range: bytes=N-`, how an interrupted copy resumes). Only files the catalog lists, inside the
 * models folder, are ever served.
 */
export function serveModelFile(record: ModelRecord, dir: string, index: string, range: string | undefined): Response {
  const files = modelFiles(record);
  const i = /^\d{1,3}$/.test(index) ? Number(index) : -1;
  const file = files[i];
  if (!file) throw new RbeeError("MODEL_FILE_MISSING", `${record.id} has no file number ${index}`, `it has ${files.length} file(s), numbered from 0`, 404);
  const path = record.files?.length ? join(dir, file.name) : record.path;
  if (!isInside(dir, path)) throw new RbeeError("MODEL_FILE_MISSING", `${record.id}'s file is not in the models folder`, "download the model again", 404);
  const blob = Bun.file(path);
  const size = blob.size;
  const start = Number(range?.match(/^bytes=(\d+)-$/)?.[1] ?? 0);
  const headers = { "content-type": "application/octet-stream", "accept-ranges": "bytes" };
  if (start >= size && start > 0) return new Response(null, { status: 416, headers: { ...headers, "content-range": `bytes */${size}` } });
  if (start === 0) return new Response(blob, { headers: { ...headers, "content-length": String(size) } });
  return new Response(blob.slice(start), { status: 206, headers: { ...headers, "content-length": String(size - start), "content-range": `bytes ${start}-${size - 1}/${size}` } });
}

/** The checks a copied file's name must pass: `ID.gguf`, or a plain name in the folder `ID/`. */
function checkCopyName(id: string, file: ModelFile): string {
  const parts = file.name.split("/");
  const plain = (p: string) => /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,250}$/.test(p) && !p.includes("..");
  const ok = parts.length === 1 ? plain(parts[0]) : parts.length === 2 && parts[0] === id && plain(parts[1]);
  if (!ok || !file.name.toLowerCase().endsWith(".gguf")) throw new RbeeError("INVALID_COPY", `the copy of ${id} names a file that is not a plain .gguf name`, "copy it again from a hive that downloaded it", 400);
  return basename(file.name);
}

/**
 * The target's plan for a copy: each file fetched from the queen's copy route with the ticket,
 * through a part file that a later copy resumes, and kept only when its sha256 matches the source's.
 */
export function copyPlan(op: OperationOf<"model_receive">, ctx: { retryDelayMs?: number; stallMs?: number }): ModelPlan {
  const id = validateModelId(op.model);
  const main = op.files.findIndex((f) => f.role === "model");
  if (main < 0) throw new RbeeError("INVALID_COPY", `the copy of ${id} has no model file`, "copy it again from a hive that downloaded it", 400);
  const names = op.files.map((f) => checkCopyName(id, f));
  const fetchFile = (i: number) => (dest: string, signal: AbortSignal) =>
    downloadFile(`${op.url}/${i}`, dest, {
      signal,
      label: names[i],
      verb: "copying",
      headers: { authorization: `Bearer ${op.ticket}` },
      expectedSize: op.files[i].size_bytes,
      sha256: op.files[i].sha256,
      checkHead: checkGgufHead(names[i]),
      retryDelayMs: ctx.retryDelayMs,
      stallMs: ctx.stallMs,
    });
  const extra: PlanFile[] = op.files.flatMap((f, i) => (i === main ? [] : [{ name: names[i], role: f.role as PlanFile["role"], transfer: fetchFile(i) }]));
  return { id, source: op.source, fileName: names[main], transfer: fetchFile(main), ...(extra.length ? { extra } : {}) };
}
