/**
 * Uploading a model file from the keeper's machine: `PUT {MODEL_UPLOAD_PATH}/NAME` on a hive (or
 * on the queen for its embedded hive); the queen relays `PUT /v1/hives/HIVE{MODEL_UPLOAD_PATH}/NAME`
 * to a remote hive. The body is the file; the answer `{name, bytes}`.
 */
export const MODEL_UPLOAD_PATH = "/v1/models/upload";

/** Where the keeper sends a file for a hive: the queen keeps it (embedded hive) or relays it. */
export const uploadPath = (hiveId: string, name: string) => `/v1/hives/${encodeURIComponent(hiveId)}${MODEL_UPLOAD_PATH}/${encodeURIComponent(name)}`;

/** Uploads are model files, far over the 1 MiB body limit of every other route. */
export const isUploadPath = (path: string) => /^(\/v1\/hives\/[^/]+)?\/v1\/models\/upload\/[^/]+$/.test(path);
