import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compiledQueenForSuite, requireBinary, runRbee, startKeeper, startRbeeDaemon, tempHome } from "../helpers/rbee-binary.ts";
import { freePort } from "../helpers/free-port.ts";
import { startStallingServer } from "../helpers/slow-server.ts";

const count = (text: string, part: string) => text.split(part).length - 1;

describe("compiled rbee as a newcomer meets it: errors, reads, paths", () => {
  const suite = compiledQueenForSuite();

  it("a job's error prints once, as CODE: message with its hint, after a first line that does not promise a worker", async () => {
    const res = await runRbee(["infer", "--model", "demo-tny", "hi"], suite.env);
    expect(res.code).toBe(1);
    expect(res.stderr).toBe(
      "[queen] no worker for demo-tny yet: looking for a hive that has it (queued, position 1)\n" +
        "✗ MODEL_NOT_FOUND: the model demo-tny is not on any online hive (localhost)\n" +
        "  hint: Download it first: `rbee model download SOURCE` (e.g. hf:ORG/REPO; `rbee model create-demo` makes demo-tiny), then check `rbee model list`.\n",
    );
    for (const [args, line] of [
      [["worker", "get", "wrk-nope"], "✗ WORKER_NOT_FOUND: no worker wrk-nope on hive localhost\n  hint: See the workers with `rbee worker list`.\n"],
      [["model", "get", "nope"], '✗ MODEL_NOT_FOUND: no model "nope" on this hive\n  hint: see the models this hive has with `rbee model list`\n'],
      [["worker", "spawn", "--model", "nope"], '✗ MODEL_NOT_FOUND: no model "nope" on this hive\n  hint: see the models this hive has with `rbee model list`\n'],
    ] as const) {
      const r = await runRbee([...args], suite.env);
      expect(r.code).toBe(1);
      expect(r.stderr.endsWith(line)).toBe(true);
      expect(count(r.stderr, "✗")).toBe(1);
    }
  });

  it("--json: a failed read prints one {error: {code, message, hint}} line on stdout; a followed job ends with it", async () => {
    for (const [args, code] of [
      [["worker", "get", "wrk-nope", "--json"], "WORKER_NOT_FOUND"],
      [["model", "get", "nope", "--json"], "MODEL_NOT_FOUND"],
    ] as const) {
      const r = await runRbee([...args], suite.env);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe("");
      expect(JSON.parse(r.stdout)).toEqual({ error: { code, message: expect.any(String), hint: expect.any(String) } });
    }
    const infer = await runRbee(["infer", "--model", "demo-tny", "--json", "hi"], suite.env);
    const end = JSON.parse(infer.stdout.trim().split("\n").at(-1)!);
    expect(end).toMatchObject({ kind: "end", state: "failed", error: { code: "MODEL_NOT_FOUND", hint: expect.stringContaining("rbee model download") } });
  });

  it("status leaves itself out, jobs list hides reads unless --all, and the queen's ready line says 'listening' once", async () => {
    const status = await runRbee(["status"], suite.env);
    expect(status.stdout).toMatch(/^jobs\s+queued 0, running 0,/m);
    const list = await runRbee(["jobs", "list"], suite.env);
    expect(list.stdout).not.toMatch(/\b(status|model_get|worker_get)\b/);
    expect(list.stdout).toMatch(/read job\(s\) hidden; --all shows them/);
    const all = await runRbee(["jobs", "list", "--all"], suite.env);
    expect(all.stdout).toMatch(/\bstatus\s+completed\b/);
    expect(suite.queen.output()).toMatch(/queen ready: listening on http:\/\/127\.0\.0\.1:\d+/);
    expect(suite.queen.output()).not.toMatch(/listening:.*listening/);
  });

  it("jobs logs shows an infer as infer does: tokens, no JSON result after them", async () => {
    expect((await runRbee(["model", "create-demo"], suite.env, 60_000)).code).toBe(0);
    const infer = await runRbee(["infer", "--model", "demo-tiny", "-n", "8", "--seed", "1", "--detach", "hi"], suite.env, 60_000);
    expect(infer.code).toBe(0);
    const jobId = infer.stdout.trim();
    expect(jobId).toMatch(/^job-[0-9a-f]+$/);
    expect(infer.stderr).toContain(`follow it with \`rbee jobs logs ${jobId}\``);
    const logs = await runRbee(["jobs", "logs", jobId], suite.env, 60_000);
    expect(logs.code).toBe(0);
    expect(logs.stdout.length).toBeGreaterThan(0);
    expect(logs.stdout).not.toContain("{");
  });

  it("shell completion: bash completes commands, options, and model and job ids from the queen", async () => {
    const script = await runRbee(["completion", "bash"], {});
    expect(script.stdout).toContain("complete -o default -F _rbee rbee");
    expect((await runRbee(["completion", "zsh"], {})).stdout).toContain("compdef _rbee rbee");
    expect((await runRbee(["completion", "fish"], {})).stdout).toContain("complete -c rbee");
    expect((await runRbee(["completion", "tcsh"], {})).code).toBe(2);
    // the script itself, run by bash as a TAB would: rbee on PATH, the words typed so far
    const complete = async (...words: string[]) => {
      const line = `source <(rbee completion bash); COMP_WORDS=(rbee ${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${words.length}; _rbee; printf '%s\n' "\${COMPREPLY[@]}"`;
      const proc = Bun.spawn(["bash", "--norc", "--noprofile", "-c", line], { env: { ...process.env, ...suite.env, PATH: `${dirname(requireBinary())}:${process.env.PATH}` }, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
      const [out] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
      return out.trim().split("\n").filter(Boolean);
    };
    expect(await complete("inf")).toEqual(["infer"]);
    expect(await complete("model", "")).toEqual(["alias", "copy", "create-demo", "delete", "download", "get", "list"]);
    expect(await complete("infer", "--max")).toEqual(["--max-tokens"]);
    expect(await complete("infer", "--model", "demo")).toEqual(["demo-tiny"]);
    const jobs = await complete("jobs", "logs", "job-");
    expect(jobs.length).toBeGreaterThan(0);
    expect(jobs.every((j) => /^job-[0-9a-f]+$/.test(j))).toBe(true);
  });

  it("model download ./FILE resolves the path in the user's folder, and says so when nothing is there", async () => {
    const model = JSON.parse((await runRbee(["model", "get", "demo-tiny", "--json"], suite.env)).stdout) as { path: string };
    const folder = mkdtempSync(join(tmpdir(), "rbee-user-"));
    try {
      copyFileSync(model.path, join(folder, "mine.gguf"));
      const ok = await runRbee(["model", "download", "./mine.gguf"], suite.env, 60_000, folder);
      expect(ok.stderr).not.toContain("✗");
      expect(ok.code).toBe(0);
      const missing = await runRbee(["model", "download", "./nope.gguf"], suite.env, 30_000, folder);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain(`✗ MODEL_FILE_MISSING: no file at ${join(folder, "nope.gguf")}\n  hint: `);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it("a refused download (HTTP 403) shows the HF_TOKEN hint in the CLI", async () => {
    const server: Server = createServer((_req, res) => res.writeHead(403).end("gated"));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/gated.gguf`;
      const res = await runRbee(["model", "download", url], suite.env);
      expect(res.code).toBe(1);
      expect(res.stderr).toMatch(/✗ MODEL_FORBIDDEN: .*refused the download \(HTTP 403\)\n  hint: .*set HF_TOKEN/);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

describe("compiled rbee as a newcomer meets it: misuse and colour", () => {
  const noQueen = { RBEE_QUEEN_URL: "http://127.0.0.1:9", RBEE_NO_AUTOSTART: "1" };

  it("infer without --model names it and shows the usage (exit 2); a typo gets the nearest command", async () => {
    const res = await runRbee(["infer", "x"], noQueen);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/^Usage Error: rbee infer needs --model \(model id/);
    expect(res.stderr).toContain("$ rbee infer");
    const noPrompt = await runRbee(["infer", "--model", "demo-tiny"], noQueen);
    expect(noPrompt.code).toBe(2);
    expect(noPrompt.stderr).toContain("rbee infer needs a prompt");
    const typo = await runRbee(["infre"], noQueen);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toBe('error: unknown command "infre"; did you mean `rbee infer`? See `rbee --help`.\n');
  });

  it("--queen-url that is not a URL is misuse: exit 2, with an example of one", async () => {
    const res = await runRbee(["status", "--queen-url", "foo"], {});
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/^Usage Error: --queen-url "foo" is not an http URL; give one like http:\/\/127\.0\.0\.1:7833/);
  });

  it("no colour in pipes, with NO_COLOR or with --no-color; FORCE_COLOR turns it on", async () => {
    const ansi = /\x1b\[/;
    const forced = await runRbee(["--help"], { FORCE_COLOR: "1", NO_COLOR: "" });
    expect(forced.stdout).toMatch(ansi);
    expect((await runRbee(["--help"], { FORCE_COLOR: "", NO_COLOR: "" })).stdout).not.toMatch(ansi);
    expect((await runRbee(["--help"], { FORCE_COLOR: "1", NO_COLOR: "1" })).stdout).not.toMatch(ansi);
    const flag = await runRbee(["--no-color", "--help"], { FORCE_COLOR: "1", NO_COLOR: "" });
    expect(flag.code).toBe(0);
    expect(flag.stdout).not.toMatch(ansi);
    expect((await runRbee(["infer", "x", "--no-color"], { ...noQueen, FORCE_COLOR: "1", NO_COLOR: "" })).stderr).not.toMatch(ansi);
  });
});

describe("compiled rbee as a newcomer meets it: the queen goes away mid-job", () => {
  it("says the queen went away, that the job's state is unknown, and how to check it", async () => {
    const home = tempHome();
    const source = await startStallingServer();
    const queen = await startRbeeDaemon(["serve", "--port", "0"], { RBEE_HOME: home.home });
    try {
      const keeper = await startKeeper(["model", "download", source.url], { RBEE_HOME: home.home, RBEE_QUEEN_URL: queen.url }, /downloading/);
      queen.proc.kill("SIGKILL");
      const { code, stderr } = await keeper.finished();
      expect(code).toBe(1);
      const jobId = stderr.match(/\b(job-[0-9a-f]+)\b/)?.[1] ?? "";
      expect(stderr).toMatch(/✗ QUEEN_LOST: the queen at http:\/\/127\.0\.0\.1:\d+ went away while following job-[0-9a-f]+; the job's state is unknown\n/);
      expect(stderr).toContain(`check the job with \`rbee jobs get ${jobId}\``);
      expect(stderr).not.toContain("ECONNRESET");
    } finally {
      await queen.stop();
      await source.stop();
      home.cleanup();
    }
  });
});

describe("compiled rbee as a newcomer meets it: a hive installed but not started", () => {
  it("hive list shows it as installed, stopped (and in --json)", async () => {
    const home = tempHome();
    const userHome = mkdtempSync(join(tmpdir(), "rbee-user-home-"));
    mkdirSync(join(home.home, "config"), { recursive: true });
    writeFileSync(join(home.home, "config", "hives.conf"), `Host localhost\n  HivePort ${await freePort()}\n`);
    const env = { RBEE_HOME: home.home, HOME: userHome, SSH_AUTH_SOCK: "" };
    const queen = await startRbeeDaemon(["serve", "--port", "0", "--no-local-hive"], env);
    try {
      const install = await runRbee(["hive", "install", "--host", "localhost", "--binary", requireBinary()], { ...env, RBEE_QUEEN_URL: queen.url }, 120_000);
      expect(install.code, install.stderr).toBe(0);
      const list = await runRbee(["hive", "list"], { ...env, RBEE_QUEEN_URL: queen.url });
      expect(list.stdout).toMatch(/^localhost\s+installed, stopped$/m);
      const json = await runRbee(["hive", "list", "--json"], { ...env, RBEE_QUEEN_URL: queen.url });
      expect(json.stdout.trim().split("\n").map((l) => JSON.parse(l))).toEqual([{ id: "localhost", state: "stopped", installed: true, embedded: false }]);
    } finally {
      await runRbee(["hive", "uninstall", "--host", "localhost"], { ...env, RBEE_QUEEN_URL: queen.url });
      await queen.stop();
      rmSync(userHome, { recursive: true, force: true });
      home.cleanup();
    }
  }, 180_000);
});
