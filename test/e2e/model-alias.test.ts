import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compiledQueenForSuite, runRbee } from "../helpers/rbee-binary.ts";

/** The compiled binary: `rbee model alias tiny demo-tiny`, then `infer --model tiny` and `/v1/models`. */
describe("compiled rbee: model aliases", () => {
  const suite = compiledQueenForSuite({ demo: true });

  it("an alias set by the CLI works in infer and is listed by /v1/models; --remove takes it away", async () => {
    const set = await runRbee(["model", "alias", "tiny", "demo-tiny"], suite.env);
    expect(set).toMatchObject({ code: 0, stdout: "ALIAS  MODEL\ntiny   demo-tiny\n" });
    expect(set.stderr).toBe("[queen] tiny stands for demo-tiny\n");

    const infer = await runRbee(["infer", "--model", "tiny", "--max-tokens", "6", "Hello"], suite.env, 120_000);
    expect(infer.code).toBe(0);
    expect(infer.stdout.length).toBeGreaterThan(0);
    expect(infer.stderr).toContain("[queen] tiny is an alias of demo-tiny\n");

    const models = (await (await fetch(`${suite.queen.url}/v1/models`)).json()) as { data: { id: string }[] };
    expect(models.data.map((m) => m.id)).toEqual(["demo-tiny", "tiny"]);
    const listed = await runRbee(["model", "alias", "--json"], suite.env);
    expect(listed.stdout).toBe('{"alias":"tiny","model":"demo-tiny"}\n');

    const workers = await runRbee(["worker", "list", "--json"], suite.env);
    expect(JSON.parse(workers.stdout.trim())).toMatchObject({ model: "demo-tiny", context_size: 2048 });

    expect(await runRbee(["model", "alias", "--remove", "tiny"], suite.env)).toMatchObject({ code: 0, stdout: "no aliases (set one with `rbee model alias NAME MODEL`)\n" });
    const gone = await runRbee(["infer", "--model", "tiny", "Hello"], suite.env);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain("✗ MODEL_NOT_FOUND: the model tiny is not on any online hive");
  });

  it("bad input is refused and changes nothing: a chained alias, a broken models.json", async () => {
    expect((await runRbee(["model", "alias", "small", "demo-tiny"], suite.env)).code).toBe(0);
    const chained = await runRbee(["model", "alias", "smaller", "small"], suite.env);
    expect(chained.code).toBe(1);
    expect(chained.stderr).toContain('✗ INVALID_ALIAS: "small" is itself an alias (of demo-tiny)\n  hint: Point smaller at the model id: `rbee model alias smaller demo-tiny`.');
    const file = join(suite.home, "config", "models.json");
    const broken = '{"aliases": {"small": 1}}';
    writeFileSync(file, broken);
    const refused = await runRbee(["model", "alias", "other", "demo-tiny"], suite.env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/✗ MODEL_CONFIG_INVALID: .*models\.json: aliases\.small: /);
    expect(readFileSync(file, "utf8")).toBe(broken);
  });
});
