import { closeSync, fstatSync, openSync, readSync } from "node:fs";

/**
 * Reads what rbee needs from a local GGUF file's header (https://github.com/ggml-org/ggml/blob/master/docs/gguf.md):
 * its scalar metadata and the parameter count its tensor shapes declare. Arrays (a tokenizer's
 * vocabulary, scores and merges: half a million strings in recent models) are stepped over, not
 * decoded: a full parser spends most of its time there, and the daemons that read headers (at
 * download, and at every spawn to estimate memory) run without a JIT (see jitless-serve.ts).
 * Little-endian GGUF v2 and v3, as llama.cpp writes and loads them.
 */
export interface GgufInfo {
  /** Scalar values by key: numbers (64-bit integers too, exact below 2^53), strings, booleans. */
  metadata: Record<string, number | string | boolean>;
  parameterCount: number;
}

const MAGIC = "GGUF";
const CHUNK = 1 << 20;
/** Fewer bits than this per parameter is no real quantization (IQ1_S stores 1.5625): the shapes lie. */
const MIN_BITS_PER_PARAMETER = 1;
/** Byte sizes of the fixed-size value types, by GGUF value type id (8 string and 9 array vary). */
const FIXED_SIZE: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };
const STRING = 8;
const ARRAY = 9;

export function readGgufInfo(path: string): GgufInfo {
  const fd = openSync(path, "r");
  try {
    const at = new Cursor(fd, fstatSync(fd).size);
    if (at.size < 4 || at.text(4) !== MAGIC) throw new Error("it does not start with the GGUF magic");
    const version = at.u32();
    if (version !== 2 && version !== 3) throw new Error(`GGUF version ${version} is not one llama.cpp loads (2 or 3)`);
    const tensorCount = at.u64();
    const kvCount = at.u64();
    const metadata: GgufInfo["metadata"] = {};
    for (let i = 0; i < kvCount; i++) {
      const key = at.string();
      const type = at.u32();
      if (type === ARRAY) at.skipArray();
      else metadata[key] = at.scalar(type);
    }
    let parameterCount = 0;
    for (let i = 0; i < tensorCount; i++) {
      at.skip(at.u64()); // name
      const dims = at.u32();
      if (dims > 8) throw new Error(`a tensor declares ${dims} dimensions`);
      let elements = 1;
      for (let d = 0; d < dims; d++) elements *= at.u64();
      at.skip(12); // ggml type (u32) and data offset (u64)
      parameterCount += elements;
    }
    if ((parameterCount * MIN_BITS_PER_PARAMETER) / 8 > at.size) throw new Error(`its tensor shapes declare ${parameterCount} parameters, which cannot fit in ${at.size} bytes`);
    return { metadata, parameterCount };
  } finally {
    closeSync(fd);
  }
}

/** Reads forward through the file a megabyte at a time; a read past its end is a malformed header. */
class Cursor {
  private pos = 0;
  private buf = Buffer.alloc(0);
  private bufStart = 0;

  constructor(
    private readonly fd: number,
    readonly size: number,
  ) {}

  /** Where `n` bytes at the current position start in `buf`, reading them in when needed. */
  private take(n: number): number {
    if (this.pos + n > this.size) throw new Error(`the header ends early, at byte ${this.size}`);
    let i = this.pos - this.bufStart;
    if (i < 0 || i + n > this.buf.length) {
      this.buf = Buffer.alloc(Math.min(Math.max(n, CHUNK), this.size - this.pos));
      readSync(this.fd, this.buf, 0, this.buf.length, this.pos);
      this.bufStart = this.pos;
      i = 0;
    }
    this.pos += n;
    return i;
  }

  skip(n: number): void {
    if (this.pos + n > this.size) throw new Error(`the header ends early, at byte ${this.size}`);
    this.pos += n;
  }

  u32(): number {
    return this.buf.readUInt32LE(this.take(4));
  }

  /** A u64 as a number: counts and lengths in a real header are far below 2^53. */
  u64(): number {
    const i = this.take(8);
    return this.buf.readUInt32LE(i) + this.buf.readUInt32LE(i + 4) * 2 ** 32;
  }

  text(n: number): string {
    const i = this.take(n);
    return this.buf.toString("utf8", i, i + n);
  }

  string(): string {
    return this.text(this.u64());
  }

  scalar(type: number): number | string | boolean {
    if (type === STRING) return this.string();
    const size = FIXED_SIZE[type];
    if (size === undefined) throw new Error(`unknown metadata value type ${type}`);
    const i = this.take(size);
    const b = this.buf;
    switch (type) {
      case 0: return b.readUInt8(i);
      case 1: return b.readInt8(i);
      case 2: return b.readUInt16LE(i);
      case 3: return b.readInt16LE(i);
      case 4: return b.readUInt32LE(i);
      case 5: return b.readInt32LE(i);
      case 6: return b.readFloatLE(i);
      case 7: return b.readUInt8(i) !== 0;
      case 10: return Number(b.readBigUInt64LE(i));
      case 11: return Number(b.readBigInt64LE(i));
      default: return b.readDoubleLE(i);
    }
  }

  skipArray(depth = 0): void {
    if (depth > 3) throw new Error("arrays nest deeper than any model's metadata");
    const type = this.u32();
    const length = this.u64();
    if (type === STRING) for (let i = 0; i < length; i++) this.skip(this.u64());
    else if (type === ARRAY) for (let i = 0; i < length; i++) this.skipArray(depth + 1);
    else if (FIXED_SIZE[type] !== undefined) this.skip(length * FIXED_SIZE[type]);
    else throw new Error(`unknown array element type ${type}`);
  }
}
