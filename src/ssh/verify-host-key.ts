import { narrate } from "../narration/narrate.ts";
import { RbeeError } from "../protocol/errors.ts";
import {
  appendKnownHost,
  checkHostKey,
  defaultKnownHostsFiles,
  fingerprint,
  keyType,
  knownHostsName,
  type KnownHostsFiles,
} from "./known-hosts.ts";

export interface HostKeyTarget {
  alias: string;
  hostname: string;
  port: number;
}

export const ACCEPT_NEW_HOST_KEY_FLAG = "--accept-new-host-key";

/**
 * The host key policy: a known key passes; an unknown key is refused unless the user passed
 * --accept-new-host-key (then it is appended to known_hosts); a changed or revoked key is
 * refused always, whatever the flags say.
 */
export function verifyHostKey(
  target: HostKeyTarget,
  key: Buffer,
  opts: { acceptNewHostKey?: boolean; knownHosts?: KnownHostsFiles } = {},
): void {
  const files = opts.knownHosts ?? defaultKnownHostsFiles();
  const verdict = checkHostKey(target.hostname, target.port, key, files);
  const fp = fingerprint(key);
  const type = keyType(key);
  const where = `${target.alias} (${target.hostname}:${target.port})`;
  const name = knownHostsName(target.hostname, target.port);

  switch (verdict.status) {
    case "known":
      narrate("ssh_host_key", `host key of ${where} matches known_hosts (${type} ${fp})`, { level: "debug", fingerprint: fp });
      return;
    case "changed":
      throw new RbeeError(
        "HOST_KEY_CHANGED",
        `the host key of ${where} has CHANGED: it now offers ${type} ${fp}, but ${verdict.file}:${verdict.line} records ${verdict.knownFingerprint}. Someone could be intercepting the connection, or the machine was reinstalled.`,
        `Refused. If you know why the key changed, remove the old one with \`ssh-keygen -R '${name}'\` and connect again.`,
      );
    case "revoked":
      throw new RbeeError(
        "HOST_KEY_REVOKED",
        `the host key ${type} ${fp} of ${where} is marked @revoked in ${verdict.file}:${verdict.line}`,
        "Refused. The machine must get a new host key.",
      );
    case "unknown": {
      if (opts.acceptNewHostKey) {
        appendKnownHost(target.hostname, target.port, key, files.user);
        narrate("ssh_host_key_added", `added host key of ${where} to ${files.user}: ${type} ${fp}`, { fingerprint: fp });
        return;
      }
      const others = verdict.otherTypes.length ? ` (known_hosts has only ${verdict.otherTypes.join(", ")} keys for it)` : "";
      throw new RbeeError(
        "HOST_KEY_UNKNOWN",
        `the host key of ${where} is not in known_hosts${others}. ${type} key fingerprint is ${fp}.`,
        `Compare it with \`ssh-keygen -lf /etc/ssh/ssh_host_${type.replace(/^ssh-/, "").replace(/-.*/, "")}_key.pub\` on that machine, then run again with ${ACCEPT_NEW_HOST_KEY_FLAG} to add it to ${files.user}.`,
      );
    }
  }
}
