import { readFileSync } from "node:fs";
import { utils, type AnyAuthMethod } from "ssh2";
import { narrate } from "../narration/narrate.ts";
import { RbeeError } from "../protocol/errors.ts";
import type { ResolvedHost } from "./resolve-host.ts";

/**
 * The keys to offer, in OpenSSH's order: the agent first, then each identity file. Keys that
 * need a passphrase are skipped (rbee cannot prompt inside a job); load them into ssh-agent.
 */
export function authMethods(host: ResolvedHost): AnyAuthMethod[] {
  const methods: AnyAuthMethod[] = [];
  if (host.agent) methods.push({ type: "agent", username: host.user, agent: host.agent });
  for (const file of host.identityFiles) {
    let key: Buffer;
    try {
      key = readFileSync(file);
    } catch {
      continue; // IdentityFile lines may name keys that do not exist, as with OpenSSH.
    }
    const parsed = utils.parseKey(key);
    if (parsed instanceof Error) {
      narrate("ssh_key_skipped", `skipping ${file}: ${parsed.message} (add it to ssh-agent to use it)`, { level: "warn", file });
      continue;
    }
    methods.push({ type: "publickey", username: host.user, key });
  }
  if (!methods.length) {
    throw new RbeeError(
      "SSH_NO_IDENTITY",
      `no SSH key to log in to ${host.alias} with`,
      "Create one (ssh-keygen -t ed25519), name it with IdentityFile in ~/.ssh/config, or start ssh-agent.",
    );
  }
  return methods;
}
