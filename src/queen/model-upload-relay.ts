import { Hono, type Context } from "hono";
import { receiveEngineUpload } from "../engine/engine-upload.ts";
import { receiveUpload } from "../model/model-upload.ts";
import { ENGINE_UPLOAD_PATH, MODEL_UPLOAD_PATH } from "../protocol/model-upload.ts";
import { RbeeError } from "../protocol/errors.ts";
import { hiveToken } from "../security/api-token.ts";
import type { HiveDirectory } from "./hive-directory.ts";

type Receive = (name: string, body: ReadableStream<Uint8Array> | null, signal?: AbortSignal) => Promise<{ name: string; bytes: number }>;

/**
 * `PUT /v1/hives/HIVE/v1/models/upload/NAME` (a model file) and `PUT /v1/hives/HIVE/v1/engines/upload/NAME`
 * (an engine tarball) from the keeper's machine: streamed on to the hive that will hold it (with
 * that hive's token), or kept here for the embedded hive.
 */
export function modelUploadRelay(hives: HiveDirectory): Hono {
  const relay = (path: string, receiveHere: Receive) => async (c: Context) => {
    const hiveId = c.req.param("hive")!;
    const name = c.req.param("name")!;
    const hive = hives.get(hiveId);
    if (!hive) throw new RbeeError("UNKNOWN_HIVE", `no hive named ${hiveId}`, "See `rbee hive list`.", 404);
    if (hive.embedded) return c.json(await receiveHere(name, c.req.raw.body, c.req.raw.signal), 201);
    if (hive.state !== "online" || !hive.url) throw new RbeeError("HIVE_OFFLINE", `hive ${hiveId} is offline`, `Start it with \`rbee hive start --host ${hiveId}\`.`, 503);
    const token = hiveToken(hiveId);
    const res = await fetch(`${hive.url}${path}/${encodeURIComponent(name)}`, {
      method: "PUT",
      body: c.req.raw.body,
      headers: { "content-type": "application/octet-stream", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      signal: c.req.raw.signal,
      // @ts-expect-error Bun streams a request body with duplex "half", as fetch's spec asks.
      duplex: "half",
    }).catch((err: Error) => {
      throw new RbeeError("HIVE_UNREACHABLE", `hive ${hiveId} does not answer: ${err.message}`, `Check it with \`rbee hive status --host ${hiveId}\`.`, 502);
    });
    return new Response(res.body, { status: res.status, headers: { "content-type": res.headers.get("content-type") ?? "application/json" } });
  };
  return new Hono()
    .put(`/v1/hives/:hive${MODEL_UPLOAD_PATH}/:name`, relay(MODEL_UPLOAD_PATH, receiveUpload))
    .put(`/v1/hives/:hive${ENGINE_UPLOAD_PATH}/:name`, relay(ENGINE_UPLOAD_PATH, receiveEngineUpload));
}
