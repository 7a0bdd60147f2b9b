import type { LlamaModel, Token } from "node-llama-cpp";

/**
 * Turns generated tokens into text pieces safe to send: a character split over several byte
 * tokens is held back until it is whole (never a U+FFFD on the wire), and detokenizing
 * against the previous tokens keeps SentencePiece's word-boundary spaces right.
 */
export class TokenText {
  private pending: Token[] = [];
  private previous: Token[] = [];

  constructor(private readonly model: LlamaModel) {}

  push(token: Token): string {
    this.pending.push(token);
    const text = this.model.detokenize(this.pending, false, this.previous);
    // A UTF-8 character is at most 4 bytes: past that, the bytes are broken for good.
    if (text.endsWith("\uFFFD") && this.pending.length < 4) return "";
    this.previous = [...this.previous, ...this.pending].slice(-8);
    this.pending = [];
    return text;
  }

  /** A token's text if it came next, after the tokens pushed so far. */
  pieceOf(token: Token): string {
    return this.model.detokenize([token], false, [...this.previous, ...this.pending]);
  }

  flush(): string {
    if (!this.pending.length) return "";
    const text = this.model.detokenize(this.pending, false, this.previous);
    this.pending = [];
    return text;
  }
}

/**
 * Finds stop strings in streamed text. Text that might be the start of a stop string is
 * held back until it is known not to be, so a stop string never reaches the client.
 */
export class StopMatcher {
  private held = "";

  constructor(private readonly stops: readonly string[]) {}

  /** Text to emit now, and whether a stop string was reached (text after it is dropped). */
  push(text: string): { text: string; stopped: boolean } {
    this.held += text;
    let cut = -1;
    for (const stop of this.stops) {
      const at = this.held.indexOf(stop);
      if (at >= 0 && (cut < 0 || at < cut)) cut = at;
    }
    if (cut >= 0) {
      const out = this.held.slice(0, cut);
      this.held = "";
      return { text: out, stopped: true };
    }
    const keep = this.partialSuffix();
    const out = this.held.slice(0, this.held.length - keep);
    this.held = this.held.slice(this.held.length - keep);
    return { text: out, stopped: false };
  }

  flush(): string {
    const out = this.held;
    this.held = "";
    return out;
  }

  /** Length of the longest tail of the held text that begins some stop string. */
  private partialSuffix(): number {
    let best = 0;
    for (const stop of this.stops) {
      for (let n = Math.min(stop.length - 1, this.held.length); n > best; n--) {
        if (this.held.endsWith(stop.slice(0, n))) {
          best = n;
          break;
        }
      }
    }
    return best;
  }
}
