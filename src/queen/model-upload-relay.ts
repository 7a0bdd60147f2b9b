import { Hono } from "hono";
import { receiveUpload } from "../model/model-upload.ts";
import { MODEL_UPLOAD_PATH } from "../protocol/model-upload.ts";
import { RbeeError } from "../protocol/errors.ts";
import { hiveToken } from "../security/api-token.ts";
import type { HiveDirectory } from "./hive-directory.ts";

/**
 * `PUT /v1/hives/HIVE/v1/models/upload/NAME`: a model file from the keeper's machine, streamed on
 * to the hive that will hold it (with that hive's token), or kept here for the embedded hive.
 */
export function modelUploadRelay(hives: HiveDirectory): Hono {
  return new Hono().put(`/v1/hives/:hive${MODEL_UPLOAD_PATH}/:name`, async (c) => {
    const hiveId = c.req.param("hive");
    const name = c.req.param("name");
    const hive = hives.get(hiveId);
    if (!hive) throw new RbeeError("UNKNOWN_HIVE", `no hive named ${hiveId}`, "See `rbee hive list`.", 404);
    if (hive.embedded) return c.json(await receiveUpload(name, c.req.raw.body, c.req.raw.signal), 201);
    if (hive.state !== "online" || !hive.url) throw new RbeeError("HIVE_OFFLINE", `hive ${hiveId} is offline`, `Start it with \`rbee hive start --host ${hiveId}\`.`, 503);
    const token = hiveToken(hiveId);
    const res = await fetch(`${hive.url}${MODEL_UPLOAD_PATH}/${encodeURIComponent(name)}`, {
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
  });
}
