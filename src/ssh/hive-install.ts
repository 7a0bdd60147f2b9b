import { createHash, randomBytes } from "node:crypto";
import { createReadStream, statSync } from "node:fs";
import { targetForUname, type BuildTarget } from "../config/build-targets.ts";
import { narrate } from "../narration/narrate.ts";
import { withTimeout } from "../narration/with-timeout.ts";
import { RbeeError } from "../protocol/errors.ts";
import { withHiveSession, type HiveSession, type HiveSshOptions } from "./hive-session.ts";
import { chooseHiveBinary } from "./hive-binary.ts";
import { provisionHiveToken } from "./hive-token.ts";
import { R, REMOTE_REL, tilde } from "./remote-layout.ts";
import { shellQuote } from "./shell-quote.ts";
import { abortError } from "./ssh-errors.ts";

export interface InstallOptions extends HiveSshOptions {
  /** The rbee binary to upload; by default the build for the machine's `uname -sm` (hive-binary.ts). */
  binaryPath?: string;
  /** Upload even when the remote binary is identical. */
  force?: boolean;
  /** Limit for the whole install (default 5 minutes). */
  timeoutMs?: number;
}

/** Wire-shaped (snake_case), a superset of lifecycle's InstallResponse. */
export interface InstallResult {
  alias: string;
  /** Where the binary lives on the remote machine: ~/.local/bin/rbee. */
  path: string;
  version: string;
  sha256: string;
  uploaded: boolean;
  token_created: boolean;
}

export const INSTALL_TIMEOUT_MS = 5 * 60_000;
const PROGRESS_EVERY_MS = 250;

/**
 * Installs rbee on a remote machine: its `uname -sm` picks the build, SFTP upload to a temp
 * name, remote sha256 check, chmod, rename into ~/.local/bin/rbee, `rbee --version`, API token.
 */
export function installHive(alias: string, opts: InstallOptions = {}): Promise<InstallResult> {
  return withTimeout(
    `hive install on ${alias}`,
    opts.timeoutMs ?? INSTALL_TIMEOUT_MS,
    (signal) => withHiveSession(alias, opts, signal, (s) => installIn(s, opts)),
    opts.signal,
  );
}

export async function installIn(s: HiveSession, opts: InstallOptions): Promise<InstallResult> {
  const alias = s.host.alias;
  const { target, uname } = await checkPlatform(s);
  const binaryPath = chooseHiveBinary(target, uname, opts.binaryPath);
  narrate("hive_install_binary_choice", `${alias} runs ${uname}: installing ${binaryPath} (${target.id})`, { target: target.id, binary: binaryPath });

  narrate("hive_install_hash", `computing sha256 of ${binaryPath}`, { level: "debug" });
  const sha256 = await sha256File(binaryPath, s.signal);
  const remoteHash = await remoteSha256(s, R.binary);
  const same = remoteHash === sha256;
  let uploaded = false;
  if (same && !opts.force) {
    narrate("hive_install_skip", `rbee is already installed on ${alias} (${tilde("binary")}, sha256 matches): skipping the upload`);
  } else {
    if (remoteHash) narrate("hive_install_replace", `replacing ${tilde("binary")} on ${alias} (${same ? "--force" : "different build"})`);
    await uploadBinary(s, binaryPath, sha256);
    uploaded = true;
  }

  const version = (await s.sh("rbee --version", `${R.binary} --version`)).trim();
  narrate("hive_install_version", `${tilde("binary")} --version on ${alias}: ${version}`, { version });
  const token_created = await provisionHiveToken(s, opts.env);
  narrate("hive_installed", `rbee ${version} is installed on ${alias}`, { version });
  return { alias, path: tilde("binary"), version, sha256, uploaded, token_created };
}

async function checkPlatform(s: HiveSession): Promise<{ target: BuildTarget; uname: string }> {
  const uname = (await s.sh("uname -sm", "uname -sm")).trim();
  narrate("hive_install_platform", `${s.host.alias} runs ${uname}`, { platform: uname });
  const target = targetForUname(uname, s.host.alias);
  const probe = await s.shStatus("command -v sha256sum >/dev/null || command -v shasum >/dev/null");
  if (probe.code !== 0) throw new RbeeError("REMOTE_TOOL_MISSING", `neither sha256sum nor shasum is on ${s.host.alias}`, "Install coreutils there.");
  return { target, uname };
}

/** sha256 of stdin: coreutils' sha256sum on Linux, shasum on macOS. */
const SHA256 = "{ if command -v sha256sum >/dev/null; then sha256sum; else shasum -a 256; fi; }";

/** The sha256 of a remote file, or undefined when it does not exist. */
async function remoteSha256(s: HiveSession, path: string): Promise<string | undefined> {
  const r = await s.shStatus(`[ -f ${path} ] && ${SHA256} < ${path}`);
  const hash = r.stdout.trim().split(/\s+/)[0];
  return r.code === 0 && /^[0-9a-f]{64}$/.test(hash) ? hash : undefined;
}

async function uploadBinary(s: HiveSession, binaryPath: string, sha256: string): Promise<void> {
  const alias = s.host.alias;
  const tmpName = `.rbee.tmp-${randomBytes(6).toString("hex")}`;
  const tmpRel = `${REMOTE_REL.binDir}/${tmpName}`;
  const tmp = `${R.binDir}/${shellQuote(tmpName)}`;
  // Temp files of installs cut off an hour ago or more (abort, lost connection) go first.
  await s.sh("creating ~/.local/bin", `mkdir -p ${R.binDir} || exit 1; find ${R.binDir} -maxdepth 1 -name '.rbee.tmp-*' -mmin +60 -exec rm -f {} + 2>/dev/null; exit 0`);
  const total = statSync(binaryPath).size;
  narrate("hive_upload_start", `uploading ${binaryPath} (${mb(total)}) to ${alias}:~/${tmpRel}`, { progress: { current: 0, total, unit: "bytes" } });
  try {
    const started = Date.now();
    let last = 0;
    await s.conn.upload(binaryPath, tmpRel, {
      signal: s.signal,
      mode: 0o700,
      onProgress: (current, size) => {
        const now = Date.now();
        if (now - last < PROGRESS_EVERY_MS) return;
        last = now;
        narrate("hive_upload_progress", `uploading to ${alias}: ${mb(current)} / ${mb(size)}`, { progress: { current, total: size, unit: "bytes" } });
      },
    });
    const seconds = Math.max((Date.now() - started) / 1000, 0.001);
    narrate("hive_upload_done", `uploaded ${mb(total)} to ${alias} in ${seconds.toFixed(1)} s (${mb(total / seconds)}/s)`, { progress: { current: total, total, unit: "bytes" } });

    const uploadedHash = await remoteSha256(s, tmp);
    if (uploadedHash !== sha256) {
      throw new RbeeError("UPLOAD_CORRUPTED", `the binary on ${alias} has sha256 ${uploadedHash ?? "(none)"}, expected ${sha256}`, "Run the install again.", 502);
    }
    narrate("hive_upload_verified", `sha256 verified on ${alias}: ${sha256.slice(0, 16)}…`);
    await s.sh("installing the binary", `chmod 755 ${tmp} && mv -f ${tmp} ${R.binary}`);
    narrate("hive_install_binary", `installed ${tilde("binary")} on ${alias}`);
  } catch (err) {
    // Best effort: the connection may already be gone (abort, timeout).
    if (!s.conn.isClosed) await s.shStatus(`rm -f ${tmp}`).catch(() => {});
    throw err;
  }
}

export async function sha256File(path: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    if (signal?.aborted) throw abortError(signal, "hashing the binary");
    hash.update(chunk as Buffer);
  }
  return hash.digest("hex");
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
