import type { JobEvent, TokenLogprob } from "../protocol/events.ts";
import { tryGetNarration } from "./context.ts";

/** Sends a token or result event to the current job's stream (no-op outside a job). */
export function emitToJob(event: JobEvent): void {
  tryGetNarration()?.emit(event);
}

export const emitToken = (text: string, logprobs?: TokenLogprob[]) => emitToJob(logprobs ? { kind: "token", text, logprobs } : { kind: "token", text });
