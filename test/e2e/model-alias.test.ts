import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runRbee, startRbeeDaemon, tempHome, type Daemon } from "../helpers/rbee-binary.ts";

/** The compiled binary: `rbee model alias tiny demo-tiny`, then `infer --model tiny` and `/v1/models`. */
describe("compiled rbee: model aliases", () => {
  let home: ReturnType<typeof tempHome>;
  let queen: Daemon;
  let env: Record<string, string>;

  beforeAll(async () => {
    home = tempHome();
    queen = await startRbeeDaemon(["serve", "--port", "0"], { RBEE_HOME: home.home });
    env = { RBEE_HOME: home.home, RBEE_QUEEN_URL: queen.url };
    expect((await runRbee(["model", "create-demo"], env, 60_000)).code).toBe(0);
  });
  afterAll(async () => {
    await queen?.stop();
    home?.cleanup();
  });

  it("an alias set by the CLI works in infer and is listed by /v1/models; --remove takes it away", async () => {
    const set = await runRbee(["model", "alias", "tiny", "demo-tiny"], env);
    expect(set).toMatchObject({ code: 0, stdout: "ALIAS  MODEL\ntiny   demo-tiny\n" });
    expect(set.stderr).toBe("[queen] tiny stands for demo-tiny\n");

    const infer = await runRbee(["infer", "--model", "tiny", "--max-tokens", "6", "Hello"], env, 120_000);
    expect(infer.code).toBe(0);
    expect(infer.stdout.length).toBeGreaterThan(0);
    expect(infer.stderr).toContain("[queen] tiny is an alias of demo-tiny\n");

    const models = (await (await fetch(`${queen.url}/v1/models`)).json()) as { data: { id: string }[] };
    expect(models.data.map((m) => m.id)).toEqual(["demo-tiny", "tiny"]);
    const listed = await runRbee(["model", "alias", "--json"], env);
    expect(listed.stdout).toBe('{"alias":"tiny","model":"demo-tiny"}\n');

    const workers = await runRbee(["worker", "list", "--json"], env);
    expect(JSON.parse(workers.stdout.trim())).toMatchObject({ model: "demo-tiny", context_size: 2048 });

    expect(await runRbee(["model", "alias", "--remove", "tiny"], env)).toMatchObject({ code: 0, stdout: "no aliases (set one with `rbee model alias NAME MODEL`)\n" });
    const gone = await runRbee(["infer", "--model", "tiny", "Hello"], env);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain("✗ MODEL_NOT_FOUND: the model tiny is not on any online hive");
  });

  it("bad input is refused and changes nothing: a chained alias, a broken models.json", async () => {
    expect((await runRbee(["model", "alias", "small", "demo-tiny"], env)).code).toBe(0);
    const chained = await runRbee(["model", "alias", "smaller", "small"], env);
    expect(chained.code).toBe(1);
    expect(chained.stderr).toContain('✗ INVALID_ALIAS: "small" is itself an alias (of demo-tiny)\n  hint: Point smaller at the model id: `rbee model alias smaller demo-tiny`.');
    const file = join(home.home, "config", "models.json");
    const broken = '{"aliases": {"small": 1}}';
    writeFileSync(file, broken);
    const refused = await runRbee(["model", "alias", "other", "demo-tiny"], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/✗ MODEL_CONFIG_INVALID: .*models\.json: aliases\.small: /);
    expect(readFileSync(file, "utf8")).toBe(broken);
  });
});
