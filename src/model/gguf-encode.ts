/**
 * Low-level GGUF v3 encoding (https://github.com/ggml-org/ggml/blob/master/docs/gguf.md):
 * metadata values, tensor payloads (F32 / F16 / Q8_0) and a deterministic PRNG.
 * Everything is little-endian; strings are a u64 byte length followed by UTF-8 bytes.
 */

/** GGUF metadata value types. */
export const GgufValue = {
  UINT32: 4,
  INT32: 5,
  FLOAT32: 6,
  BOOL: 7,
  STRING: 8,
  ARRAY: 9,
} as const;

/** ggml tensor types rbee can write. */
export const GgmlType = { F32: 0, F16: 1, Q8_0: 8 } as const;
export type TensorType = "f32" | "f16" | "q8_0";
export const ggmlTypeId: Record<TensorType, number> = { f32: GgmlType.F32, f16: GgmlType.F16, q8_0: GgmlType.Q8_0 };

/** A metadata value with its GGUF type made explicit (JS numbers do not say u32 vs f32). */
export type MetaValue =
  | { type: "u32"; value: number }
  | { type: "i32"; value: number }
  | { type: "f32"; value: number }
  | { type: "bool"; value: boolean }
  | { type: "str"; value: string }
  | { type: "str[]"; value: string[] }
  | { type: "f32[]"; value: number[] }
  | { type: "i32[]"; value: number[] };

/** Growable little-endian byte buffer for the header. */
export class ByteWriter {
  private buf = new Uint8Array(1 << 16);
  private view = new DataView(this.buf.buffer);
  length = 0;

  private ensure(extra: number): void {
    if (this.length + extra <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  u32(v: number): void { this.ensure(4); this.view.setUint32(this.length, v, true); this.length += 4; }
  i32(v: number): void { this.ensure(4); this.view.setInt32(this.length, v, true); this.length += 4; }
  u64(v: number): void { this.ensure(8); this.view.setBigUint64(this.length, BigInt(v), true); this.length += 8; }
  f32(v: number): void { this.ensure(4); this.view.setFloat32(this.length, v, true); this.length += 4; }
  u8(v: number): void { this.ensure(1); this.view.setUint8(this.length, v); this.length += 1; }
  bytes(b: Uint8Array): void { this.ensure(b.length); this.buf.set(b, this.length); this.length += b.length; }
  str(s: string): void { const b = new TextEncoder().encode(s); this.u64(b.length); this.bytes(b); }
  pad(alignment: number): void { while (this.length % alignment) this.u8(0); }
  result(): Uint8Array { return this.buf.subarray(0, this.length); }
}

export function writeMeta(w: ByteWriter, key: string, meta: MetaValue): void {
  w.str(key);
  switch (meta.type) {
    case "u32": w.u32(GgufValue.UINT32); w.u32(meta.value); return;
    case "i32": w.u32(GgufValue.INT32); w.i32(meta.value); return;
    case "f32": w.u32(GgufValue.FLOAT32); w.f32(meta.value); return;
    case "bool": w.u32(GgufValue.BOOL); w.u8(meta.value ? 1 : 0); return;
    case "str": w.u32(GgufValue.STRING); w.str(meta.value); return;
    case "str[]": w.u32(GgufValue.ARRAY); w.u32(GgufValue.STRING); w.u64(meta.value.length); for (const s of meta.value) w.str(s); return;
    case "f32[]": w.u32(GgufValue.ARRAY); w.u32(GgufValue.FLOAT32); w.u64(meta.value.length); for (const v of meta.value) w.f32(v); return;
    case "i32[]": w.u32(GgufValue.ARRAY); w.u32(GgufValue.INT32); w.u64(meta.value.length); for (const v of meta.value) w.i32(v); return;
  }
}

/** Bytes a tensor of `count` elements takes in `type`. Q8_0 packs 32 values in 34 bytes. */
export function tensorBytes(type: TensorType, count: number): number {
  if (type === "f32") return count * 4;
  if (type === "f16") return count * 2;
  return (count / 32) * 34;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE half from a float (round to nearest even; enough for weights in a normal range). */
export function toHalf(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = ((x >>> 23) & 0xff) - 127 + 15;
  let mant = x & 0x7fffff;
  if (exp <= 0) {
    if (exp < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - exp;
    return sign | ((mant + (1 << (shift - 1))) >>> shift);
  }
  if (exp >= 31) return sign | 0x7c00;
  const rounded = (exp << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  return sign | (rest > 0x1000 || (rest === 0x1000 && rounded & 1) ? rounded + 1 : rounded);
}

/** Encode float values as a ggml tensor payload. */
export function encodeTensor(type: TensorType, values: Float32Array): Uint8Array {
  if (type === "f32") return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const out = new Uint8Array(tensorBytes(type, values.length));
  const view = new DataView(out.buffer);
  if (type === "f16") {
    for (let i = 0; i < values.length; i++) view.setUint16(i * 2, toHalf(values[i]!), true);
    return out;
  }
  // Q8_0: per block of 32, a half scale d = max|x| / 127, then 32 int8 values round(x / d).
  const q = new Int8Array(out.buffer);
  for (let b = 0, blocks = values.length / 32; b < blocks; b++) {
    const base = b * 32;
    let max = 0;
    for (let i = 0; i < 32; i++) {
      const v = values[base + i]!;
      const a = v < 0 ? -v : v;
      if (a > max) max = a;
    }
    const d = max / 127;
    const inv = d ? 1 / d : 0;
    view.setUint16(b * 34, toHalf(d), true);
    const at = b * 34 + 2;
    for (let i = 0; i < 32; i++) q[at + i] = Math.round(values[base + i]! * inv);
  }
  return out;
}

/** mulberry32: a tiny deterministic PRNG, so one seed always writes the same bytes. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
