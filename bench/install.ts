/**
 * Install transfer rate: rbee's SFTP upload (ssh2 fastPut, what `rbee hive install` uses) vs
 * OpenSSH `scp` of the same file, both to a private sshd on loopback. Target: ≥ 90% of scp.
 * Needs root (the sshd harness creates a throwaway user) and openssh-server/-client.
 * Run: bun build.ts && bun bench/install.ts [FILE] [RUNS]
 */
import { spawnSync } from "node:child_process";
import { statSync } from "node:fs";
import { join, resolve } from "node:path";
import { connectSsh } from "../src/ssh/connection.ts";
import { resolveHost } from "../src/ssh/resolve-host.ts";
import { startSshd } from "../test/helpers/sshd.ts";

const file = resolve(process.argv[2] ?? "dist/rbee");
const runs = Number(process.argv[3] ?? 5);
const size = statSync(file).size;
const mib = (bytes: number) => bytes / 1024 / 1024;

const sshd = await startSshd({ trustHostKey: true });
try {
  const host = resolveHost(sshd.alias, { env: sshd.env });
  const sftpTimes: number[] = [];
  const scpTimes: number[] = [];
  const scpGcmTimes: number[] = [];
  const scp = (dest: string, extra: string[]) => {
    const t = performance.now();
    const r = spawnSync(
      "scp",
      [
        "-q", "-F", "/dev/null", "-P", String(sshd.port), "-i", join(sshd.keeperHome, ".ssh", "id_ed25519"),
        "-o", "BatchMode=yes", "-o", `UserKnownHostsFile=${join(sshd.keeperHome, ".ssh", "known_hosts")}`, "-o", "StrictHostKeyChecking=yes",
        ...extra, file, `${sshd.user}@127.0.0.1:${dest}`,
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    if (r.status !== 0) throw new Error(`scp failed: ${r.stderr}`);
    return performance.now() - t;
  };
  const conn = await connectSsh(host, { home: sshd.keeperHome });
  try {
    for (let i = 0; i < runs; i++) {
      // Alternate so both see the same page cache and machine load.
      let t = performance.now();
      await conn.upload(file, `bench-sftp-${i}`);
      sftpTimes.push(performance.now() - t);

      // scp includes its own connection set-up (~tens of ms); it is the user's alternative as is.
      scpTimes.push(scp(`bench-scp-${i}`, []));
      scpGcmTimes.push(scp(`bench-scp-gcm-${i}`, ["-c", "aes128-gcm@openssh.com"]));
      await conn.exec("rm -f bench-sftp-* bench-scp-*");
    }
  } finally {
    conn.close();
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const rate = (ms: number) => mib(size) / (ms / 1000);
  const sftp = rate(median(sftpTimes));
  const scpRate = rate(median(scpTimes));
  const gcmRate = rate(median(scpGcmTimes));
  const list = (xs: number[]) => xs.map((t) => rate(t).toFixed(0)).join(", ");
  console.log(`file: ${file} (${mib(size).toFixed(1)} MiB), ${runs} runs each, median`);
  console.log(`rbee SFTP upload (ssh2 fastPut, aes128-gcm):  ${sftp.toFixed(1)} MiB/s  [${list(sftpTimes)}]`);
  console.log(`OpenSSH scp (default cipher):                ${scpRate.toFixed(1)} MiB/s  [${list(scpTimes)}]`);
  console.log(`OpenSSH scp -c aes128-gcm@openssh.com:       ${gcmRate.toFixed(1)} MiB/s  [${list(scpGcmTimes)}]`);
  console.log(`ratio: ${((sftp / scpRate) * 100).toFixed(0)}% of scp, ${((sftp / gcmRate) * 100).toFixed(0)}% of scp with the same cipher (target ≥ 90%)`);
} finally {
  await sshd.stop();
}
