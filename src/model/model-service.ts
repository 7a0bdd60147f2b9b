import { existsSync } from "node:fs";
import { mkdir, rm, unlink } from "node:fs/promises";
import { basename, dirname, join, relative } from "node:path";
import { modelsDir } from "../config/paths.ts";
import { narrate } from "../narration/narrate.ts";
import { RbeeError } from "../protocol/errors.ts";
import { openCatalog, type ModelCatalog } from "./catalog.ts";
import { abortError } from "./download-errors.ts";
import { parameterCount, readGgufHeader } from "./gguf-header.ts";
import { quantOf } from "./hf-resolve.ts";
import { planDownload, type CreateDemo, type ModelPlan } from "./model-plan.ts";
import type { ModelFile, ModelRecord } from "./model-record.ts";
import { formatModelSource, modelIdFromFileName, parseModelSource, sourceFileName, validateModelId, type ModelSource } from "./model-source.ts";
import { formatBytes } from "./progress.ts";
import { allowedModelFolders, isInside } from "./model-folders.ts";

export interface ModelServiceOptions {
  /** The models folder; modelsDir() by default. */
  dir?: string;
  catalog?: ModelCatalog;
  fetchImpl?: typeof fetch;
  env?: NodeJS.ProcessEnv;
  createDemo?: CreateDemo;
  /** First pause before retrying a dropped download (tests shorten it). */
  retryDelayMs?: number;
  /** A download that receives nothing for this long retries, resuming (default 30 s). */
  stallMs?: number;
  /** Folders local model files may come from; allowedModelFolders() by default. */
  folders?: string[];
}

/** One transfer shared by every caller asking for the same model at the same time. */
interface InFlight {
  source: string;
  promise: Promise<ModelRecord>;
  controller: AbortController;
  waiters: number;
}

/** The hive's models: download (or copy) into the models folder, catalog, list, delete. */
export class ModelService {
  readonly dir: string;
  private readonly catalog: ModelCatalog;
  private readonly inFlight = new Map<string, InFlight>();

  constructor(private readonly options: ModelServiceOptions = {}) {
    this.dir = options.dir ?? modelsDir(options.env);
    this.catalog = options.catalog ?? openCatalog(this.dir);
  }

  /** Retry pause and stall timeout for transfers planned elsewhere (copies between hives). */
  get transferTimings(): { retryDelayMs?: number; stallMs?: number } {
    return { retryDelayMs: this.options.retryDelayMs, stallMs: this.options.stallMs };
  }

  list(): ModelRecord[] {
    return this.catalog.list();
  }

  get(id: string): ModelRecord {
    // Ids are lowercase by construction; accept the name as the user may have typed it.
    const record = this.catalog.get(validateModelId(typeof id === "string" ? id.toLowerCase() : id));
    if (!record) throw new RbeeError("MODEL_NOT_FOUND", `no model "${id}" on this hive`, "see the models this hive has with `rbee model list`", 404);
    return record;
  }

  /**
   * Makes the model available and returns its record. Already present: a no-op. The same
   * model asked for twice at once is fetched once; a caller's cancel only stops the
   * transfer when no other caller still waits for it.
   */
  async download(input: string, opts: { signal?: AbortSignal } = {}): Promise<ModelRecord> {
    const source = parseModelSource(input, this.options.folders ?? allowedModelFolders(this.options.env));
    // Answer from the catalog before planning: no network, no generator needed.
    const known = this.knownFor(source);
    if (known) return this.alreadyPresent(known);
    const folders = this.options.folders ?? allowedModelFolders(this.options.env);
    const plan = await planDownload(source, { ...this.options, signal: opts.signal, importFolder: folders[0] });
    return this.fetchPlan(plan, opts.signal);
  }

  /** Brings in a model by a plan made elsewhere (a copy from another hive): present, shared or fetched. */
  async fetchPlan(plan: ModelPlan, signal?: AbortSignal): Promise<ModelRecord> {
    const existing = this.present(plan.id, plan.source);
    if (existing) return this.alreadyPresent(existing);
    return this.join(plan, signal);
  }

  /** Removes the model's row and file; refused while a worker has it loaded. */
  async delete(id: string, opts: { inUse?: (id: string) => boolean } = {}): Promise<ModelRecord> {
    const record = this.get(id);
    if (opts.inUse?.(record.id)) {
      throw new RbeeError("MODEL_IN_USE", `${record.id} is loaded by a worker`, "stop the worker first (rbee worker list, then rbee worker stop)", 409);
    }
    this.catalog.remove(record.id);
    // Only files this catalog owns: never one outside the models folder.
    if (isInside(this.dir, record.path)) {
      await unlink(record.path).catch(ignoreMissing);
      await unlink(`${record.path}.part`).catch(ignoreMissing);
      // A model of several files has a folder of its own (named by its id): it goes as a whole.
      const folder = join(this.dir, record.id);
      if (dirname(record.path) === folder) await rm(folder, { recursive: true, force: true });
    }
    narrate("model_deleted", `deleted ${record.id} (${formatBytes(record.size_bytes)} freed)`, { model: record.id });
    return record;
  }

  /** The catalogued model a source names, when that is known without resolving it. */
  private knownFor(source: ModelSource): ModelRecord | undefined {
    if (source.kind === "hf" && !source.file) {
      // hf:ORG/REPO names no file: one model from that repo is the answer; several need a lookup.
      // A quant tag: the one model of that quant from the repo, when there is exactly one.
      const fromRepo = this.catalog
        .findBySourcePrefix(`hf:${source.repo}:`)
        .filter((r) => existsSync(r.path) && (!source.quant || quantOf(r.source.slice(source.repo.length + 4)) === source.quant));
      return fromRepo.length === 1 ? fromRepo[0] : undefined;
    }
    return this.present(modelIdFromFileName(sourceFileName(source)!), formatModelSource(source));
  }

  /** The record for `id` when its file is in place; a record whose file vanished is downloaded again. */
  private present(id: string, source: string): ModelRecord | undefined {
    const existing = this.catalog.get(id);
    if (!existing || !existsSync(existing.path)) return undefined;
    if (existing.source !== source) {
      throw new RbeeError("MODEL_ID_TAKEN", `the id ${id} already names a model from ${existing.source}`, `delete it first (rbee model delete ${id}) to replace it`, 409);
    }
    return existing;
  }

  private alreadyPresent(record: ModelRecord): ModelRecord {
    narrate("model_present", `${record.id} is already on this hive (${formatBytes(record.size_bytes)})`, { model: record.id });
    return record;
  }

  private async join(plan: ModelPlan, signal?: AbortSignal): Promise<ModelRecord> {
    // A transfer everyone gave up on still holds the part file until it settles.
    let shared = this.inFlight.get(plan.id);
    while (shared?.controller.signal.aborted) {
      await shared.promise.catch(() => {});
      shared = this.inFlight.get(plan.id);
    }
    if (shared && shared.source !== plan.source) {
      throw new RbeeError("MODEL_ID_TAKEN", `the id ${plan.id} is being downloaded from ${shared.source}`, "wait for that download to finish, then delete it to replace it", 409);
    }
    if (shared) {
      narrate("model_wait", `${plan.id} is already being downloaded; waiting for that download`, { model: plan.id });
    } else {
      const controller = new AbortController();
      const promise = this.fetchModel(plan, controller.signal).finally(() => this.inFlight.delete(plan.id));
      shared = { source: plan.source, promise, controller, waiters: 0 };
      this.inFlight.set(plan.id, shared);
    }
    return waitFor(shared, signal);
  }

  private async fetchModel(plan: ModelPlan, signal: AbortSignal): Promise<ModelRecord> {
    // One file: ID.gguf. Several (shards, a projector): a folder ID/ keeping the files' own names.
    const folder = plan.extra?.length ? join(this.dir, plan.id) : undefined;
    if (folder) await mkdir(folder, { recursive: true, mode: 0o700 });
    const dest = folder ? join(folder, basename(plan.fileName)) : join(this.dir, `${plan.id}.gguf`);
    const transfer = await plan.transfer(dest, signal);
    const files: ModelFile[] = [{ name: relative(this.dir, dest), size_bytes: transfer.size_bytes, sha256: transfer.sha256, role: "model" }];
    for (const extra of plan.extra ?? []) {
      const path = join(folder!, basename(extra.name));
      const done = await extra.transfer(path, signal);
      files.push({ name: relative(this.dir, path), size_bytes: done.size_bytes, sha256: done.sha256, role: extra.role });
    }
    let header;
    let parameters = 0;
    try {
      header = await readGgufHeader(dest);
      parameters = header.parameters;
      // The first shard's header counts only its own tensors.
      for (const f of files.filter((f) => f.role === "shard")) parameters += await parameterCount(join(this.dir, f.name));
    } catch (err) {
      // A file that is not a usable model never stays in the models folder.
      await (folder ? rm(folder, { recursive: true, force: true }) : unlink(dest).catch(ignoreMissing));
      throw err;
    }
    const mmproj = files.find((f) => f.role === "mmproj");
    const record: ModelRecord = {
      id: plan.id,
      source: plan.source,
      path: dest,
      size_bytes: files.filter((f) => f.role !== "mmproj").reduce((a, f) => a + f.size_bytes, 0),
      sha256: transfer.sha256,
      architecture: header.architecture,
      parameters,
      context_length: header.context_length,
      quantization: header.quantization,
      ...(mmproj ? { mmproj: join(this.dir, mmproj.name) } : {}),
      files,
      added_at: new Date().toISOString(),
    };
    this.catalog.upsert(record);
    const parts = files.length > 1 ? ` in ${files.length} files${mmproj ? ", with its vision projector" : ""}` : "";
    narrate("model_ready", `${plan.id} is ready: ${header.architecture}, ${formatCount(parameters)} parameters, ${header.quantization}, ${formatBytes(record.size_bytes)}${parts}`, {
      model: plan.id,
    });
    return record;
  }
}

/** Waits for a shared transfer; this caller's abort rejects at once and, if it was the last waiter, stops the transfer. */
function waitFor(shared: InFlight, signal?: AbortSignal): Promise<ModelRecord> {
  shared.waiters++;
  return new Promise((resolve, reject) => {
    let left = false;
    const leave = () => {
      if (left) return false;
      left = true;
      shared.waiters--;
      signal?.removeEventListener("abort", onAbort);
      return true;
    };
    const onAbort = () => {
      if (!leave()) return;
      if (shared.waiters === 0) shared.controller.abort(signal?.reason);
      reject(abortError(signal));
    };
    shared.promise.then(
      (record) => leave() && resolve(record),
      (err) => leave() && reject(err),
    );
    if (signal?.aborted) onAbort();
    else signal?.addEventListener("abort", onAbort, { once: true });
  });
}

function ignoreMissing(err: NodeJS.ErrnoException): void {
  if (err.code !== "ENOENT") throw err;
}

function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}K`;
  return String(n);
}
