import { RbeeError } from "../protocol/errors.ts";
import type { ResolvedHost } from "./resolve-host.ts";

/** The error an aborted operation ends with: the abort reason when it is ours (a TIMEOUT), else CANCELLED. */
export function abortError(signal: AbortSignal | undefined, what: string): RbeeError {
  const reason = signal?.reason;
  if (reason instanceof RbeeError) return reason;
  return new RbeeError("CANCELLED", `${what} was cancelled`, undefined, 499);
}

/** Turns ssh2's and the socket's errors into errors a user can act on. */
export function connectError(err: Error & { code?: string; level?: string }, host: ResolvedHost, readyTimeoutMs: number): RbeeError {
  if (err instanceof RbeeError) return err;
  const where = `${host.alias} (${host.user}@${host.hostname}:${host.port})`;
  if (/timed out while waiting for handshake/i.test(err.message)) {
    return new RbeeError(
      "SSH_TIMEOUT",
      `connecting to ${where} timed out after ${readyTimeoutMs / 1000} s: the server accepted the connection but never completed the SSH handshake`,
      "Check that an SSH server (not some other service) listens on that port and is not overloaded.",
      504,
    );
  }
  if (err.code === "ECONNREFUSED") {
    return new RbeeError("SSH_UNREACHABLE", `connection to ${where} refused`, "Is sshd running there, and is the Port in ~/.ssh/config right?", 502);
  }
  if (err.code === "ENOTFOUND" || err.code === "EAI_AGAIN") {
    return new RbeeError("SSH_UNREACHABLE", `cannot resolve host name ${host.hostname} for ${host.alias}`, "Check HostName in hives.conf or ~/.ssh/config.", 502);
  }
  if (err.level === "client-authentication" || /authentication methods failed/i.test(err.message)) {
    const tried = [...(host.agent ? ["ssh-agent"] : []), ...host.identityFiles];
    return new RbeeError(
      "SSH_AUTH_FAILED",
      `${where} refused every key (${tried.join(", ") || "none"})`,
      `Check that your public key is in ~${host.user}/.ssh/authorized_keys there (ssh-copy-id ${host.alias}).`,
      502,
    );
  }
  return new RbeeError("SSH_ERROR", `SSH connection to ${where} failed: ${err.message}`, undefined, 502);
}
