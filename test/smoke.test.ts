import { describe, expect, it } from "vitest";
import { z } from "zod";
describe("smoke", () => { it("runs on bun", () => { expect(typeof Bun.version).toBe("string"); expect(z.string().parse("a")).toBe("a"); }); });
