import { describe, expect, it } from "vitest";
import { planTools, readToolAnswer } from "../../src/queen/tools/tool-calling.ts";

const tools = [{ name: "get_weather", description: "Weather", parameters: { type: "object", properties: { city: { type: "string" } } } }];

describe("reading a tool answer that max_tokens cut short", () => {
  const auto = planTools(tools, "auto")!;

  it("an answer in words gives the words written so far, not the JSON around them", () => {
    expect(readToolAnswer('{"response": "It is sunny in Os', auto)).toEqual({ content: "It is sunny in Os", calls: [] });
    expect(readToolAnswer('{"response":"say \\"hi\\" and \\u00e9t\\u00', auto).content).toBe('say "hi" and ét');
    expect(readToolAnswer('{"response": "done"', auto).content).toBe("done");
  });

  it("a whole answer still reads as before, and a cut call stays as its text", () => {
    expect(readToolAnswer('{"response": "done"}', auto).content).toBe("done");
    expect(readToolAnswer('{"tool_call": {"name": "get_weather", "argu', auto)).toEqual({ content: '{"tool_call": {"name": "get_weather", "argu', calls: [] });
    const forced = planTools(tools, { name: "get_weather" })!;
    expect(readToolAnswer('{"response": "x', forced).content).toBe('{"response": "x');
  });
});
