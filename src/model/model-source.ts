import { basename } from "node:path";
import { RbeeError } from "../protocol/errors.ts";
import { allowedModelFolders, resolveLocalModel } from "./model-folders.ts";

/**
 * Where a model comes from. Parsed strictly up front so a bad string changes nothing and the
 * user learns the accepted forms at once instead of after a failed network request.
 */
export type ModelSource =
  | { kind: "hf"; repo: string; file?: string; quant?: string }
  | { kind: "url"; url: string; file: string }
  | { kind: "local"; path: string }
  /** demo:tiny (id demo-tiny), or demo:NAME:SEED (id NAME): the demo model with other weights. */
  | { kind: "demo"; name: string; seed?: number };

export const SOURCE_HINT =
  "accepted forms: hf:ORG/REPO, hf:ORG/REPO:QUANT (Q4_K_M, Q8_0 …), hf:ORG/REPO:FILE.gguf, https://HOST/PATH/FILE.gguf, a .gguf file in the hive's model folders, demo:tiny, demo:NAME:SEED";

const MAX_SOURCE_LENGTH = 2048;
// Hugging Face's own rules for repo names, minus anything that could walk out of a folder.
const NAME_PART = /^[A-Za-z0-9._-]{1,96}$/;
const FILE_PART = /^[A-Za-z0-9._-]{1,255}$/;
// A quant tag as Ollama takes it (hf.co/ORG/REPO:Q5_K_M): no dot, so never a file name.
const QUANT_TAG = /^[A-Za-z0-9_]{1,32}$/;
// C0/C1 controls and the bidi overrides that can make a name read differently than it is.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** Messages never quote the source: it is raw text from the network (markup, SQL, escapes). */
function invalid(message: string): RbeeError {
  return new RbeeError("INVALID_MODEL_SOURCE", message, SOURCE_HINT);
}

/**
 * Parses a source. A local path is resolved inside `folders` (relative names in the first,
 * the import folder) and refused outside them.
 */
export function parseModelSource(input: string, folders: string[] = allowedModelFolders()): ModelSource {
  if (typeof input !== "string" || input.trim() === "") throw invalid("the model source is empty");
  if (input.length > MAX_SOURCE_LENGTH) throw invalid(`the model source is longer than ${MAX_SOURCE_LENGTH} characters`);
  if (CONTROL.test(input)) throw invalid("the model source contains control characters");
  const s = input.trim();

  if (/^(\/|\.\/|\.\.\/|~\/)/.test(s)) return { kind: "local", path: resolveLocalModel(s, folders) };
  if (s.startsWith("hf:")) return parseHf(s.slice(3));
  if (/^https?:\/\//i.test(s)) return parseUrl(s);
  if (s.startsWith("demo:")) return parseDemo(s.slice(5));
  // Anything else that looks like "scheme:" is a typo of a supported form, not a file name.
  if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(s)) throw invalid("unsupported model source scheme");
  return { kind: "local", path: resolveLocalModel(s, folders) };
}

const DEMO_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** `tiny` (the built-in demo-tiny), or `NAME:SEED`: another demo model, its weights drawn from SEED. */
function parseDemo(rest: string): ModelSource {
  if (rest === "tiny") return { kind: "demo", name: "tiny" };
  const [name, seed, ...extra] = rest.split(":");
  if (seed === undefined || extra.length) throw invalid("unknown demo model: demo:tiny, or demo:NAME:SEED for another one");
  if (!DEMO_NAME.test(name!)) throw invalid("a demo model's name takes lowercase letters, digits, '.', '_', '-' (64 at most), starting with a letter or digit");
  if (!/^\d{1,10}$/.test(seed) || Number(seed) > 0xffff_ffff) throw invalid("a demo model's seed is a whole number from 0 to 4294967295");
  return { kind: "demo", name: name!, seed: Number(seed) };
}

function parseHf(rest: string): ModelSource {
  const [repo, file, ...extra] = rest.split(":");
  if (extra.length) throw invalid("the hf: source has more than one ':' after the repo");
  const parts = repo.split("/");
  if (parts.length !== 2 || !parts.every(isSafeName)) {
    throw invalid("that is not a Hugging Face repo name (ORG/REPO, letters, digits, '.', '_', '-')");
  }
  if (file === undefined) return { kind: "hf", repo };
  if (QUANT_TAG.test(file)) return { kind: "hf", repo, quant: file.toUpperCase() };
  return { kind: "hf", repo, file: checkRepoFile(file) };
}

/** A file inside a repo may sit in sub-folders; every segment must be a plain name. */
export function checkRepoFile(file: string): string {
  const segments = file.split("/");
  if (!segments.every((p) => FILE_PART.test(p) && !p.includes(".."))) {
    throw invalid("the repo's file is not a safe file name (letters, digits, '.', '_', '-', no '..')");
  }
  if (!file.toLowerCase().endsWith(".gguf")) throw invalid("the repo's file is not a .gguf file");
  return file;
}

function isSafeName(part: string): boolean {
  return NAME_PART.test(part) && !part.includes("..") && part !== ".";
}

function parseUrl(s: string): ModelSource {
  let url: URL;
  try {
    url = new URL(s);
  } catch {
    throw invalid("that is not a valid URL");
  }
  const problem = remoteUrlProblem(url);
  if (problem) throw invalid(problem);
  // The name shows in narration and derives the model id: only safe characters survive.
  const file = safeDecode(basename(url.pathname)).replace(/[^A-Za-z0-9._-]+/g, "-");
  if (!file.toLowerCase().endsWith(".gguf")) throw invalid("the URL must name a .gguf file");
  return { kind: "url", url: url.href, file };
}

/**
 * What is wrong with fetching from `url`, if anything: the rule for a source and for every
 * redirect it leads to. Plain http only for this machine (anyone on the way could swap the
 * model); no credentials (they would end up in the catalog and in logs).
 */
export function remoteUrlProblem(url: URL): string | undefined {
  if (url.protocol !== "https:" && url.protocol !== "http:") return "only https:// (or http:// to this machine) is allowed";
  if (url.username || url.password) return "the URL must not contain a user name or password";
  if (url.protocol === "http:" && !isLoopbackHost(url.hostname)) return `plain http is only allowed for this machine (localhost); use https:// for ${url.hostname}`;
  return undefined;
}

export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK.has(hostname) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** The canonical text of a source: what the catalog stores and what dedupes downloads. */
export function formatModelSource(source: ModelSource): string {
  switch (source.kind) {
    case "hf":
      return source.file ? `hf:${source.repo}:${source.file}` : source.quant ? `hf:${source.repo}:${source.quant}` : `hf:${source.repo}`;
    case "url":
      return source.url;
    case "local":
      return source.path;
    case "demo":
      return source.seed === undefined ? `demo:${source.name}` : `demo:${source.name}:${source.seed}`;
  }
}

/** The file name a source points at, when it names one (hf without a file, or with a quant tag, needs a lookup). */
export function sourceFileName(source: ModelSource): string | undefined {
  switch (source.kind) {
    case "hf":
      return source.file ? basename(source.file) : undefined;
    case "url":
      return source.file;
    case "local":
      return basename(source.path);
    case "demo":
      return source.seed === undefined ? `demo-${source.name}.gguf` : `${source.name}.gguf`;
  }
}

const MODEL_ID = /^[a-z0-9][a-z0-9._-]{0,127}$/;

/**
 * A stable, filename-safe id from a file name: without `.gguf`, lowercased, anything outside
 * [a-z0-9._-] turned into '-'. It names the file in the models folder too, so it must be safe.
 */
export function modelIdFromFileName(fileName: string): string {
  // A sharded model is one model: its id is the shards' common name (x-00001-of-00003.gguf → x).
  const stem = basename(fileName).replace(/-\d{5}-of-\d{5}\.gguf$/i, "").replace(/\.gguf$/i, "").toLowerCase();
  const id = stem
    .replace(/[^a-z0-9._-]+/g, "-")
    .replace(/\.{2,}/g, ".")
    .replace(/^[._-]+/, "")
    .slice(0, 128)
    .replace(/[._-]+$/, "");
  return validateModelId(id || "model");
}

export function validateModelId(id: string): string {
  if (typeof id !== "string" || !MODEL_ID.test(id) || id.includes("..")) {
    throw new RbeeError(
      "INVALID_MODEL_ID",
      "that is not a model id",
      "model ids are lowercase letters, digits, '.', '_' and '-' (see `rbee model list`)",
    );
  }
  return id;
}
