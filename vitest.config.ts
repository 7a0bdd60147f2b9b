import { defineConfig } from "vitest/config";

// Tests run on Bun (`bun --bun vitest run`): the code uses Bun.serve, bun:sqlite and Bun.spawn.
// vitest 5's default forks pool does not start under Bun; the threads pool does.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "test/**/*.test.tsx"],
    pool: "threads",
    testTimeout: 60_000,
    hookTimeout: 60_000,
    server: { deps: { inline: ["zod"] } },
  },
});
