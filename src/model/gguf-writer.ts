/**
 * Writes the demo model: a llama-architecture GGUF v3 file with seeded random weights.
 * No pretrained model is reachable offline, yet every part of rbee (downloads, workers,
 * inference, benchmarks) needs a real model file that llama.cpp loads and decodes. Same
 * seed and options, same bytes.
 *
 * The weights are shaped so that the text stays readable gibberish: hidden dimension 0
 * carries a constant that no layer writes to, and the output rows of the special and byte
 * tokens point against it, so sampling never picks `</s>` (generation runs to max_tokens)
 * nor stray bytes (no broken UTF-8).
 */
import { closeSync, ftruncateSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { buildVocab, TokenType } from "./demo-vocab.ts";
import { ByteWriter, encodeTensor, ggmlTypeId, prng, tensorBytes, writeMeta, type MetaValue, type TensorType } from "./gguf-encode.ts";

export const DEMO_MODEL = { id: "demo-tiny", file: "demo-tiny.gguf" } as const;

export interface DemoModelOptions {
  seed?: number;
  vocab?: number;
  dim?: number;
  layers?: number;
  heads?: number;
  /** Key/value heads (grouped-query attention); defaults to `heads`. */
  kvHeads?: number;
  /** Feed-forward width; defaults to ~8/3 × dim rounded up to 32. */
  ff?: number;
  /** Training context length written in the metadata. */
  ctx?: number;
  /** Storage type of the 2-D weights (norms stay F32). */
  type?: TensorType;
  /**
   * Write the header only and extend the file to its full size without writing weights: a
   * sparse file whose header declares a model of any size (placement tests), not loadable.
   */
  sparse?: boolean;
  /**
   * A reranker instead of a chat model: Qwen3's architecture (what llama.cpp ranks with a
   * last-token classification head) with a two-label `cls.output` head, so llama.cpp and
   * node-llama-cpp accept it for ranking. Random weights: the scores mean nothing, but they
   * differ per document and are repeatable.
   */
  reranker?: boolean;
}

const ALIGNMENT = 32;
const FILE_TYPE: Record<TensorType, number> = { f32: 0, f16: 1, q8_0: 7 };
const MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
/** A tiny chat template: node-llama-cpp renders it with its Jinja engine. */
export const DEMO_CHAT_TEMPLATE =
  "{% for message in messages %}{{ message['role'] + ': ' + message['content'] + '\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ 'assistant: ' }}{% endif %}";

interface TensorSpec {
  name: string;
  /** ggml order: innermost (contiguous) dimension first. */
  dims: number[];
  type: TensorType;
  fill: () => Float32Array;
}

function resolve(opts: DemoModelOptions) {
  const dim = opts.dim ?? 64;
  const heads = opts.heads ?? 4;
  const o = {
    seed: opts.seed ?? 42,
    vocab: opts.vocab ?? 512,
    dim,
    layers: opts.layers ?? 6,
    heads,
    kvHeads: opts.kvHeads ?? heads,
    ff: opts.ff ?? Math.ceil((dim * 8) / 3 / 32) * 32,
    ctx: opts.ctx ?? 2048,
    type: opts.type ?? "f32",
    arch: opts.reranker ? "qwen3" : "llama",
  };
  if (dim % 32 || o.ff % 32) throw new Error("dim and ff must be multiples of 32 (ggml block size)");
  if (dim % heads || heads % o.kvHeads) throw new Error("dim must divide into heads, and heads into kvHeads");
  return o;
}

function tensorSpecs(o: ReturnType<typeof resolve>, isReadable: (token: number) => boolean): TensorSpec[] {
  const rand = prng(o.seed);
  const uniform = (n: number, std: number) => {
    // A uniform distribution on [-a, a] has std a/sqrt(3).
    const a = std * Math.sqrt(3);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = (rand() * 2 - 1) * a;
    return out;
  };
  /** Random matrix whose output row 0 is zero: layers never write hidden dimension 0. */
  const matrix = (inner: number, outer: number, keepRow0: boolean) => () => {
    const m = uniform(inner * outer, 1 / Math.sqrt(inner));
    if (!keepRow0) m.fill(0, 0, inner);
    return m;
  };
  const ones = (n: number) => () => new Float32Array(n).fill(1);
  const kvDim = (o.dim / o.heads) * o.kvHeads;
  const specs: TensorSpec[] = [
    {
      name: "token_embd.weight", dims: [o.dim, o.vocab], type: o.type,
      fill: () => {
        const m = uniform(o.dim * o.vocab, 1);
        for (let t = 0; t < o.vocab; t++) m[t * o.dim] = 8;
        return m;
      },
    },
  ];
  for (let l = 0; l < o.layers; l++) {
    const p = `blk.${l}.`;
    specs.push(
      { name: `${p}attn_norm.weight`, dims: [o.dim], type: "f32", fill: ones(o.dim) },
      { name: `${p}attn_q.weight`, dims: [o.dim, o.dim], type: o.type, fill: matrix(o.dim, o.dim, true) },
      { name: `${p}attn_k.weight`, dims: [o.dim, kvDim], type: o.type, fill: matrix(o.dim, kvDim, true) },
      { name: `${p}attn_v.weight`, dims: [o.dim, kvDim], type: o.type, fill: matrix(o.dim, kvDim, true) },
      { name: `${p}attn_output.weight`, dims: [o.dim, o.dim], type: o.type, fill: matrix(o.dim, o.dim, false) },
      { name: `${p}ffn_norm.weight`, dims: [o.dim], type: "f32", fill: ones(o.dim) },
      { name: `${p}ffn_gate.weight`, dims: [o.dim, o.ff], type: o.type, fill: matrix(o.dim, o.ff, true) },
      { name: `${p}ffn_up.weight`, dims: [o.dim, o.ff], type: o.type, fill: matrix(o.dim, o.ff, true) },
      { name: `${p}ffn_down.weight`, dims: [o.ff, o.dim], type: o.type, fill: matrix(o.ff, o.dim, false) },
    );
    // Qwen3 normalises queries and keys per head.
    if (o.arch === "qwen3") specs.push({ name: `${p}attn_q_norm.weight`, dims: [o.dim / o.heads], type: "f32", fill: ones(o.dim / o.heads) }, { name: `${p}attn_k_norm.weight`, dims: [o.dim / o.heads], type: "f32", fill: ones(o.dim / o.heads) });
  }
  if (o.arch === "qwen3") specs.push({ name: "cls.output.weight", dims: [o.dim, 2], type: "f32", fill: () => uniform(o.dim * 2, 1 / Math.sqrt(o.dim)) });
  specs.push(
    { name: "output_norm.weight", dims: [o.dim], type: "f32", fill: ones(o.dim) },
    {
      name: "output.weight", dims: [o.dim, o.vocab], type: o.type,
      fill: () => {
        const m = uniform(o.dim * o.vocab, 2.5 / Math.sqrt(o.dim));
        for (let t = 0; t < o.vocab; t++) {
          const row = t * o.dim;
          if (isReadable(t)) m[row] = 0;
          else {
            // Against the constant dimension: a logit far below every readable token.
            m.fill(0, row, row + o.dim);
            m[row] = -6;
          }
        }
        return m;
      },
    },
  );
  return specs;
}

function metadata(o: ReturnType<typeof resolve>, vocab: ReturnType<typeof buildVocab>): [string, MetaValue][] {
  const u32 = (value: number): MetaValue => ({ type: "u32", value });
  return [
    ["general.architecture", { type: "str", value: o.arch }],
    ["general.name", { type: "str", value: "rbee demo (random weights)" }],
    ["general.alignment", u32(ALIGNMENT)],
    // llama.cpp's file-type ids (ALL_F32, MOSTLY_F16, MOSTLY_Q8_0): readers name the quantization by it.
    ["general.file_type", u32(FILE_TYPE[o.type])],
    [`${o.arch}.context_length`, u32(o.ctx)],
    [`${o.arch}.embedding_length`, u32(o.dim)],
    [`${o.arch}.block_count`, u32(o.layers)],
    [`${o.arch}.feed_forward_length`, u32(o.ff)],
    [`${o.arch}.attention.head_count`, u32(o.heads)],
    [`${o.arch}.attention.head_count_kv`, u32(o.kvHeads)],
    [`${o.arch}.rope.dimension_count`, u32(o.dim / o.heads)],
    [`${o.arch}.attention.layer_norm_rms_epsilon`, { type: "f32", value: 1e-5 }],
    [`${o.arch}.vocab_size`, u32(o.vocab)],
    ["tokenizer.ggml.model", { type: "str", value: "llama" }],
    ["tokenizer.ggml.tokens", { type: "str[]", value: vocab.tokens }],
    ["tokenizer.ggml.scores", { type: "f32[]", value: vocab.scores }],
    ["tokenizer.ggml.token_type", { type: "i32[]", value: vocab.types }],
    ["tokenizer.ggml.unknown_token_id", u32(vocab.unk)],
    ["tokenizer.ggml.bos_token_id", u32(vocab.bos)],
    ["tokenizer.ggml.eos_token_id", u32(vocab.eos)],
    ["tokenizer.ggml.add_bos_token", { type: "bool", value: true }],
    ["tokenizer.ggml.add_eos_token", { type: "bool", value: false }],
    ["tokenizer.chat_template", { type: "str", value: DEMO_CHAT_TEMPLATE }],
    // The labels size the head; pooling 4 is llama.cpp's LLAMA_POOLING_TYPE_RANK.
    ...(o.arch === "qwen3" ? ([[`${o.arch}.classifier.output_labels`, { type: "str[]", value: ["yes", "no"] }], [`${o.arch}.pooling_type`, u32(4)]] as [string, MetaValue][]) : []),
  ];
}

/** Number of weights a demo model with these options has. */
export function demoModelParams(opts: DemoModelOptions = {}): number {
  const o = resolve(opts);
  return tensorSpecs(o, () => true).reduce((sum, t) => sum + t.dims.reduce((a, b) => a * b, 1), 0);
}

/**
 * Write the demo model to `path` (a temp file renamed into place, so readers never see half
 * a model). Returns the file size in bytes.
 */
export function writeDemoModel(path: string, opts: DemoModelOptions = {}): number {
  const o = resolve(opts);
  const vocab = buildVocab(o.vocab);
  const specs = tensorSpecs(o, (t) => vocab.types[t] === TokenType.NORMAL);
  const meta = metadata(o, vocab);

  const header = new ByteWriter();
  header.u32(MAGIC);
  header.u32(3);
  header.u64(specs.length);
  header.u64(meta.length);
  for (const [key, value] of meta) writeMeta(header, key, value);
  let offset = 0;
  const offsets: number[] = [];
  for (const t of specs) {
    header.str(t.name);
    header.u32(t.dims.length);
    for (const d of t.dims) header.u64(d);
    header.u32(ggmlTypeId[t.type]);
    header.u64(offset);
    offsets.push(offset);
    offset += tensorBytes(t.type, t.dims.reduce((a, b) => a * b, 1));
    offset = Math.ceil(offset / ALIGNMENT) * ALIGNMENT;
  }
  header.pad(ALIGNMENT);

  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  const fd = openSync(tmp, "w");
  try {
    writeSync(fd, header.result());
    const dataStart = header.length;
    let pos = dataStart;
    if (opts.sparse) {
      pos = dataStart + offset;
      ftruncateSync(fd, pos);
    } else specs.forEach((t, i) => {
      const target = dataStart + offsets[i]!;
      if (target > pos) writeSync(fd, new Uint8Array(target - pos));
      const bytes = encodeTensor(t.type, t.fill());
      writeSync(fd, bytes);
      pos = target + bytes.length;
    });
    closeSync(fd);
    renameSync(tmp, path);
    return pos;
  } catch (err) {
    try { closeSync(fd); } catch {}
    rmSync(tmp, { force: true });
    throw err;
  }
}
