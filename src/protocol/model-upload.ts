/**
 * Uploading a file from the keeper's machine: a model (`PUT {MODEL_UPLOAD_PATH}/NAME`) or an
 * engine tarball (`PUT {ENGINE_UPLOAD_PATH}/NAME`) on a hive, or on the queen for its embedded
 * hive; the queen relays `PUT /v1/hives/HIVE{…_UPLOAD_PATH}/NAME` to a remote hive. The body
 * is the file; the answer `{name, bytes}`.
 */
export const MODEL_UPLOAD_PATH = "/v1/models/upload";
export const ENGINE_UPLOAD_PATH = "/v1/engines/upload";

/** Where the keeper sends a model file for a hive: the queen keeps it (embedded hive) or relays it. */
export const uploadPath = (hiveId: string, name: string) => `/v1/hives/${encodeURIComponent(hiveId)}${MODEL_UPLOAD_PATH}/${encodeURIComponent(name)}`;
/** Where the keeper sends an engine tarball for a hive; `engine_install … uploaded: [NAME]` installs it. */
export const engineUploadPath = (hiveId: string, name: string) => `/v1/hives/${encodeURIComponent(hiveId)}${ENGINE_UPLOAD_PATH}/${encodeURIComponent(name)}`;

/** Uploads are model files and engine tarballs, far over the 1 MiB body limit of every other route. */
export const isUploadPath = (path: string) => /^(\/v1\/hives\/[^/]+)?\/v1\/(models|engines)\/upload\/[^/]+$/.test(path);
