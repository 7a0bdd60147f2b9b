import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { closeCatalogs } from "../../src/model/catalog.ts";

/** Minimal GGUF v3 files written from the spec, for catalog and download tests. */
export interface GgufFixtureOptions {
  architecture?: string | null;
  contextLength?: number;
  /** general.file_type (15 = Q4_K_M, 2 = Q4_0). */
  fileType?: number;
  name?: string;
  /** F32 tensors; their data (zeros) is written after the header, 32-byte aligned. */
  tensors?: { name: string; shape: number[] }[];
}

const ALIGN = 32;
const enc = new TextEncoder();

export function ggufFixture(opts: GgufFixtureOptions = {}): Uint8Array {
  const arch = opts.architecture === undefined ? "llama" : opts.architecture;
  const tensors = opts.tensors ?? [];
  const kv: Uint8Array[] = [];
  if (arch !== null) kv.push(str("general.architecture"), u32(8), str(arch));
  kv.push(str("general.name"), u32(8), str(opts.name ?? "fixture"));
  if (arch !== null) kv.push(str(`${arch}.context_length`), u32(4), u32(opts.contextLength ?? 2048));
  kv.push(str("general.file_type"), u32(4), u32(opts.fileType ?? 15));
  const kvCount = (arch !== null ? 2 : 0) + 2;

  const infos: Uint8Array[] = [];
  let dataOffset = 0;
  for (const t of tensors) {
    const bytes = t.shape.reduce((a, b) => a * b, 1) * 4;
    infos.push(str(t.name), u32(t.shape.length), ...t.shape.map(u64), u32(0 /* F32 */), u64(dataOffset));
    dataOffset = pad(dataOffset + bytes);
  }
  const header = concat([enc.encode("GGUF"), u32(3), u64(tensors.length), u64(kvCount), ...kv, ...infos]);
  const dataStart = tensors.length ? pad(header.length) : header.length;
  const out = new Uint8Array(dataStart + dataOffset);
  out.set(header);
  // Non-zero weights so a resumed download that repeats or skips a byte changes the digest.
  for (let i = dataStart; i < out.length; i++) out[i] = (i * 31 + 7) & 0xff;
  return out;
}

/** A GGUF of about `bytes` bytes: one F32 tensor of bytes/4 parameters. */
export function ggufOfSize(bytes: number, opts: GgufFixtureOptions = {}): Uint8Array {
  return ggufFixture({ ...opts, tensors: [{ name: "token_embd.weight", shape: [Math.floor(bytes / 4)] }] });
}

export async function writeGgufFixture(path: string, opts: GgufFixtureOptions = {}): Promise<Uint8Array> {
  const bytes = ggufFixture(opts);
  await writeFile(path, bytes);
  return bytes;
}

export function sha256(bytes: Uint8Array): string {
  return new Bun.CryptoHasher("sha256").update(bytes).digest("hex");
}

/** A fresh RBEE_HOME for one test; `restore` puts the old value back and removes the folder. */
export async function freshHome(): Promise<{ home: string; restore: () => Promise<void> }> {
  const previous = process.env.RBEE_HOME;
  const home = await mkdtemp(join(tmpdir(), "rbee-model-"));
  process.env.RBEE_HOME = home;
  return {
    home,
    restore: async () => {
      closeCatalogs();
      if (previous === undefined) delete process.env.RBEE_HOME;
      else process.env.RBEE_HOME = previous;
      await rm(home, { recursive: true, force: true });
    },
  };
}

/** Polls `check` until it holds, for at most `ms`: for conditions no event announces. */
export async function until(check: () => boolean | Promise<boolean>, ms = 5000, what = "condition"): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function str(s: string): Uint8Array {
  const b = enc.encode(s);
  return concat([u64(b.length), b]);
}
function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
}
function u64(n: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n), true);
  return b;
}
function pad(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}
function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
