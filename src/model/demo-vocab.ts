/**
 * A SentencePiece-style ("llama") vocabulary for the demo model. llama.cpp aborts on a llama
 * tokenizer without the 256 `<0xXX>` byte tokens, so they are always there; after them come
 * readable pieces so that random weights still print word-like text.
 */

/** llama.cpp token types. */
export const TokenType = { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, BYTE: 6 } as const;

export interface Vocab {
  tokens: string[];
  scores: number[];
  types: number[];
  unk: number;
  bos: number;
  eos: number;
}

/** The SentencePiece word-boundary marker (a space in decoded text). */
const SPACE = "\u2581";
const LETTERS = "etaoinshrdlcumwfgypbvkjxqz";
const COMMON = ["the", "and", "bee", "hive", "queen", "worker", "honey", "of", "to", "in", "is", "it", "on", "we", "run"];

function readablePieces(): string[] {
  const pieces: string[] = [SPACE];
  for (let c = 33; c < 127; c++) pieces.push(String.fromCharCode(c));
  for (const l of LETTERS) pieces.push(SPACE + l);
  for (const w of COMMON) pieces.push(SPACE + w);
  // Letter pairs fill the rest, most frequent letters first, so any vocab size has pieces.
  for (const a of LETTERS) for (const b of LETTERS) pieces.push(a + b);
  for (const a of LETTERS) for (const b of LETTERS) pieces.push(SPACE + a + b);
  return [...new Set(pieces)];
}

export const MIN_VOCAB = 3 + 256 + 1;

export function buildVocab(size: number): Vocab {
  if (size < MIN_VOCAB) throw new Error(`vocab must be at least ${MIN_VOCAB} (3 special + 256 byte tokens + 1)`);
  const tokens = ["<unk>", "<s>", "</s>"];
  const types: number[] = [TokenType.UNKNOWN, TokenType.CONTROL, TokenType.CONTROL];
  const scores = [0, 0, 0];
  for (let b = 0; b < 256; b++) {
    tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`);
    types.push(TokenType.BYTE);
    scores.push(0);
  }
  const pieces = readablePieces();
  for (let i = 0; tokens.length < size; i++) {
    // Past the readable pieces, numbered filler keeps every token unique.
    tokens.push(i < pieces.length ? pieces[i]! : `${SPACE}t${i}`);
    types.push(TokenType.NORMAL);
    // SentencePiece merges prefer higher scores: longer pieces (listed later) win less often.
    scores.push(-i);
  }
  return { tokens, scores, types, unk: 0, bos: 1, eos: 2 };
}
