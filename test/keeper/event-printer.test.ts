import { describe, expect, it } from "vitest";
import { createEventPrinter } from "../../src/keeper/event-printer.ts";
import type { JobEvent } from "../../src/protocol/events.ts";

function sink(isTTY: boolean) {
  let text = "";
  return { stream: { isTTY, columns: 80, write: (s: string) => ((text += s), true) } as never, text: () => text };
}

const progress = (current: number): JobEvent => ({
  kind: "narration", ts: 0, level: "info", actor: "hive", action: "download_progress", human: `downloaded ${current}`,
  progress: { current, total: 100, unit: "bytes" },
});

describe("keeper event printer", () => {
  it("draws one progress bar in place on a TTY", () => {
    const out = sink(false);
    const err = sink(true);
    const p = createEventPrinter({ stdout: out.stream, stderr: err.stream, json: false });
    p.event(progress(10));
    p.event(progress(50));
    p.end();
    expect(err.text()).toContain("\r\x1b[2K[hive] [");
    expect(err.text()).toMatch(/50%/);
    expect(err.text()).not.toContain("downloaded 50\n");
  });

  it("prints plain lines when stderr is not a TTY", () => {
    const out = sink(false);
    const err = sink(false);
    const p = createEventPrinter({ stdout: out.stream, stderr: err.stream, json: false });
    p.event(progress(50));
    expect(err.text()).toBe("[hive] downloaded 50\n");
  });

  it("sends tokens to stdout as they come and relayed lines show their hive", () => {
    const out = sink(false);
    const err = sink(false);
    const p = createEventPrinter({ stdout: out.stream, stderr: err.stream, json: false });
    p.event({ kind: "narration", ts: 0, level: "info", actor: "hive", origin: "gpu1", action: "x", human: "loading" });
    p.event({ kind: "token", text: "Hel" });
    p.event({ kind: "token", text: "lo" });
    p.end();
    expect(out.text()).toBe("Hello\n");
    expect(err.text()).toBe("[hive gpu1] loading\n");
  });
});
