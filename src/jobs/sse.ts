/** Server-Sent Events framing. Each event is encoded once and shared by every subscriber. */
const encoder = new TextEncoder();

export function encodeSse(id: number, data: string, event?: string): Uint8Array {
  const head = event ? `id: ${id}\nevent: ${event}\n` : `id: ${id}\n`;
  return encoder.encode(`${head}data: ${data}\n\n`);
}

/** A comment line: keeps idle connections open through proxies and idle cuts. */
export const SSE_PING = encoder.encode(": ping\n\n");

export const SSE_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache, no-transform",
  connection: "keep-alive",
  "x-accel-buffering": "no",
} as const;
