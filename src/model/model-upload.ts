import { receiveFile } from "../http/receive-file.ts";
import { RbeeError } from "../protocol/errors.ts";
import { importDir } from "./model-folders.ts";

/** A file name the import folder takes: no folders, no dots in front, a .gguf at the end. */
const UPLOAD_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,250}\.gguf$/;

export function checkUploadName(name: string): string {
  if (!UPLOAD_NAME.test(name)) throw new RbeeError("INVALID_UPLOAD_NAME", "an uploaded model needs a plain .gguf file name", "letters, digits, '.', '_' and '-', ending in .gguf", 400);
  return name;
}

/** A model file the keeper sends lands in the hive's import folder; `model_download NAME` takes it from there. */
export function receiveUpload(name: string, body: ReadableStream<Uint8Array> | null, signal?: AbortSignal): Promise<{ name: string; bytes: number }> {
  return receiveFile(importDir(), checkUploadName(name), body, signal);
}
