/** One SSE message as a client sees it. */
export interface SseMessage {
  id?: string;
  event?: string;
  data: string;
}

/**
 * Reads an SSE body into messages. Comments (`: ping`) are skipped; multi-line data is
 * joined with newlines, as the spec says. `onChunk` sees every chunk as it arrives (a stall
 * watchdog counts pings too). It runs once per streamed token on a relay, so blocks are found
 * with indexOf, and a regex only when the sender ends lines with CRLF.
 */
export async function* readSse(body: AsyncIterable<Uint8Array>, onChunk?: () => void): AsyncGenerator<SseMessage> {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of body) {
    onChunk?.();
    buffer += decoder.decode(chunk, { stream: true });
    for (;;) {
      const [cut, gap] = blockEnd(buffer);
      if (cut < 0) break;
      const message = parseBlock(buffer.slice(0, cut));
      buffer = buffer.slice(cut + gap);
      if (message) yield message;
    }
  }
}

/** Where the first block of `buffer` ends, and the length of the blank line after it (-1: none yet). */
function blockEnd(buffer: string): [number, number] {
  if (!buffer.includes("\r")) return [buffer.indexOf("\n\n"), 2];
  const m = /\r?\n\r?\n/.exec(buffer);
  return m ? [m.index, m[0].length] : [-1, 0];
}

function parseBlock(block: string): SseMessage | undefined {
  const message: SseMessage = { data: "" };
  const data: string[] = [];
  for (const raw of block.split("\n")) {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (!line || line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(line[colon + 1] === " " ? colon + 2 : colon + 1);
    if (field === "data") data.push(value);
    else if (field === "event") message.event = value;
    else if (field === "id") message.id = value;
  }
  if (!data.length) return undefined;
  message.data = data.join("\n");
  return message;
}
