import { describe, expect, it } from "vitest";
import { StopMatcher } from "../../src/worker/text-stream.ts";

describe("StopMatcher", () => {
  it("holds back a possible stop string until it is known, and cuts before it", () => {
    const m = new StopMatcher(["\nuser:"]);
    expect(m.push("hello")).toEqual({ text: "hello", stopped: false });
    expect(m.push(" there\nus")).toEqual({ text: " there", stopped: false });
    expect(m.push("er: next")).toEqual({ text: "", stopped: true });
  });

  it("releases held text when it turns out not to be a stop string", () => {
    const m = new StopMatcher(["END"]);
    expect(m.push("the E")).toEqual({ text: "the ", stopped: false });
    expect(m.push("Nd")).toEqual({ text: "ENd", stopped: false });
    expect(m.push("EN")).toEqual({ text: "", stopped: false });
    expect(m.flush()).toBe("EN");
  });

  it("stops at the earliest of several stop strings", () => {
    const m = new StopMatcher(["zz", "b"]);
    expect(m.push("aaabzz")).toEqual({ text: "aaa", stopped: true });
  });
});
