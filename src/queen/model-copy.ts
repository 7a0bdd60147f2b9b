import { randomBytes } from "node:crypto";
import { Hono } from "hono";
import type { HandlerTable } from "../jobs/dispatch.ts";
import type { ExecutorContext } from "../jobs/job-runner.ts";
import type { ModelRecord } from "../model/model-record.ts";
import { modelFiles } from "../model/model-files.ts";
import { formatBytes } from "../model/progress.ts";
import { narrate } from "../narration/narrate.ts";
import { RbeeError } from "../protocol/errors.ts";
import { MODEL_COPY_PATH, MODEL_FILES_PATH, type ModelFile } from "../protocol/model-copy.ts";
import type { OperationOf } from "../protocol/operations.ts";
import { hiveToken } from "../security/api-token.ts";
import type { HiveDirectory } from "./hive-directory.ts";

interface OpenCopy {
  ticket: string;
  sourceHive: string;
  model: string;
  files: number;
}

/**
 * The copies under way, each with a ticket good for its own files only and for as long as
 * the copy runs: what lets a target hive read from the queen without holding any real token.
 */
export class CopyTickets {
  private readonly open = new Map<string, OpenCopy>();

  issue(sourceHive: string, model: string, files: number): { copyId: string; ticket: string } {
    const copyId = randomBytes(8).toString("hex");
    const ticket = randomBytes(32).toString("base64url");
    this.open.set(copyId, { ticket, sourceHive, model, files });
    return { copyId, ticket };
  }

  get(copyId: string): OpenCopy | undefined {
    return this.open.get(copyId);
  }

  close(copyId: string): void {
    this.open.delete(copyId);
  }

  /** The extra token a request path may carry: the ticket of the copy it names. */
  tokensFor(path: string): string[] {
    const m = path.match(/^\/v1\/model-copies\/([0-9a-f]{16})\/\d{1,3}$/);
    const copy = m ? this.open.get(m[1]) : undefined;
    return copy ? [copy.ticket] : [];
  }
}

/** Fetches a path from a hive's own routes: in process for the embedded hive, with that hive's token otherwise. */
export type HiveFetch = (hiveId: string, path: string, headers: Record<string, string>, signal: AbortSignal) => Promise<Response>;

export function hiveFetch(hives: HiveDirectory, embedded?: { id: string; routes: Hono }): HiveFetch {
  return async (hiveId, path, headers, signal) => {
    if (embedded && hiveId === embedded.id) return embedded.routes.request(path, { headers, signal });
    const hive = hives.get(hiveId);
    if (!hive?.url || hive.state !== "online") throw new RbeeError("HIVE_OFFLINE", `hive ${hiveId} is offline`, `Start it with \`rbee hive start --host ${hiveId}\`.`, 503);
    const token = hiveToken(hiveId);
    return fetch(`${hive.url}${path}`, { headers: { ...headers, ...(token ? { authorization: `Bearer ${token}` } : {}) }, signal }).catch((err: Error) => {
      throw new RbeeError("HIVE_UNREACHABLE", `hive ${hiveId} does not answer: ${err.message}`, `Check it with \`rbee hive status --host ${hiveId}\`.`, 502);
    });
  };
}

/** `GET /v1/model-copies/COPY/INDEX`: one file of the copy's model, relayed from its source hive (Range passed on). */
export function modelCopyRoutes(tickets: CopyTickets, fetchFromHive: HiveFetch): Hono {
  return new Hono().get(`${MODEL_COPY_PATH}/:copy/:index`, async (c) => {
    const copy = tickets.get(c.req.param("copy"));
    if (!copy) throw new RbeeError("COPY_NOT_FOUND", "no copy under way by that id", "start it with `rbee model copy`", 404);
    const range = c.req.header("range");
    const res = await fetchFromHive(copy.sourceHive, `${MODEL_FILES_PATH}/${encodeURIComponent(copy.model)}/${c.req.param("index")}`, range ? { range } : {}, c.req.raw.signal);
    const headers = new Headers();
    for (const h of ["content-type", "content-length", "content-range", "accept-ranges"]) {
      const v = res.headers.get(h);
      if (v) headers.set(h, v);
    }
    return new Response(res.body, { status: res.status, headers });
  });
}

/** The queen's `model_copy`: from the hive that has the model to one hive or all others, one after another. */
export function modelCopyHandlers(hives: HiveDirectory, tickets: CopyTickets, queenUrl: () => string): HandlerTable {
  return {
    model_copy: async (op, ctx) => {
      const { hiveId: from, record, files } = await findSource(hives, op, ctx);
      const targets = op.to_hive === "all" ? hives.list().filter((h) => h.state === "online" && h.id !== from).map((h) => h.id) : [op.to_hive];
      if (targets.includes(from)) throw new RbeeError("COPY_SAME_HIVE", `${record.id} is already on hive ${from}, the copy's source`, "name another hive with --to-hive (or --to-hive all)", 400);
      if (!targets.length) throw new RbeeError("NO_TARGET_HIVE", `no other hive is online to copy ${record.id} to`, "see `rbee hive list`", 409);
      const total = files.reduce((a, f) => a + f.size_bytes, 0);
      const copied: ModelRecord[] = [];
      for (const to of targets) {
        narrate("model_copy", `copying ${record.id} (${formatBytes(total)}, ${files.length} file${files.length > 1 ? "s" : ""}) from hive ${from} to hive ${to}`, { model: record.id, from_hive: from, to_hive: to, total_bytes: total });
        const { copyId, ticket } = tickets.issue(from, record.id, files.length);
        try {
          const op2 = { operation: "model_receive" as const, hive_id: to, model: record.id, source: record.source, url: `${queenUrl()}${MODEL_COPY_PATH}/${copyId}`, ticket, files };
          copied.push({ hive_id: to, ...((await hives.run(to, op2, ctx)) as ModelRecord) } as ModelRecord);
        } finally {
          tickets.close(copyId);
        }
        narrate("model_copied", `${record.id} is on hive ${to}, sha256 checked against hive ${from}`, { model: record.id, to_hive: to });
      }
      return copied;
    },
  };
}

async function findSource(hives: HiveDirectory, op: OperationOf<"model_copy">, ctx: ExecutorContext): Promise<{ hiveId: string; record: ModelRecord; files: ModelFile[] }> {
  // Without --from-hive: the first online hive that has it, the target itself aside.
  const candidates = op.from_hive ? [op.from_hive] : hives.list().filter((h) => h.state === "online" && h.id !== op.to_hive).map((h) => h.id);
  for (const hiveId of candidates) {
    let record: ModelRecord;
    try {
      record = (await hives.run(hiveId, { operation: "model_get", hive_id: hiveId, model: op.model }, ctx)) as ModelRecord;
    } catch (err) {
      if (op.from_hive) throw err;
      continue;
    }
    return { hiveId, record, files: modelFiles(record) };
  }
  throw new RbeeError("MODEL_NOT_FOUND", `no other online hive has the model ${op.model}`, "see `rbee model list --hive HIVE`; download it once with `rbee model download`", 404);
}
