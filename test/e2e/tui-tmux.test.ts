import { randomUUID } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DaemonClient } from "../../src/keeper/daemon-client.ts";
import { ggufOfSize } from "../model/fixtures.ts";
import { startFileServer, type FileServer } from "../model/file-server.ts";
import { requireBinary, runRbee, startRbeeDaemon, tempHome, type Daemon } from "../helpers/rbee-binary.ts";

/**
 * The compiled dashboard in a real terminal (tmux) against a live compiled queen: keys in,
 * screen out. tmux runs on its own socket so no user session is touched.
 */
const hasTmux = Bun.spawnSync(["tmux", "-V"], { stdout: "ignore", stderr: "ignore" }).exitCode === 0;

describe.skipIf(!hasTmux)("compiled rbee tui in tmux", () => {
  let home: ReturnType<typeof tempHome>;
  let queen: Daemon;
  let files: FileServer;
  const socket = `rbee-e2e-${randomUUID().slice(0, 8)}`;

  const tmux = (...args: string[]) => {
    const r = Bun.spawnSync(["tmux", "-L", socket, ...args], { stdout: "pipe", stderr: "pipe" });
    if (r.exitCode !== 0) throw new Error(`tmux ${args.join(" ")}: ${r.stderr.toString()}`);
    return r.stdout.toString();
  };
  const screen = () => tmux("capture-pane", "-p", "-t", "tui");
  const keys = (...k: string[]) => void tmux("send-keys", "-t", "tui", ...k);
  const type = (text: string) => void tmux("send-keys", "-t", "tui", "-l", text);
  /** Polls the screen until `check` holds; the failure message shows the last screen. */
  const until = async (check: (s: string) => boolean, what: string, ms = 15_000) => {
    const deadline = Date.now() + ms;
    let last = "";
    while (Date.now() < deadline) {
      last = screen();
      if (check(last)) return last;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`screen never showed ${what} within ${ms} ms:\n${last}`);
  };

  beforeEach(async () => {
    home = tempHome("rbee-tui-e2e-");
    queen = await startRbeeDaemon(["serve", "--port", "0"], { RBEE_HOME: home.home });
    files = await startFileServer();
    // The demo model, made through the API as any client would.
    const client = new DaemonClient(queen.url);
    const { job_id } = await client.submit({ operation: "model_download", hive_id: "localhost", model: "demo:tiny" });
    expect((await client.stream(job_id, { onEvent: () => {} })).state).toBe("completed");
  });

  afterEach(async () => {
    Bun.spawnSync(["tmux", "-L", socket, "kill-server"], { stdout: "ignore", stderr: "ignore" });
    await queen?.stop();
    await files?.stop();
    home.cleanup();
  });

  it("infers from the keys, cancels a job, reflows on resize and quits with q", async () => {
    const bin = requireBinary();
    const env = ["-e", `RBEE_HOME=${home.home}`, "-e", "RBEE_NO_AUTOSTART=1"];
    // After the dashboard ends, the shell line prints its exit code where capture-pane sees it.
    tmux("new-session", "-d", "-s", "tui", "-x", "100", "-y", "30", ...env, `'${bin}' tui --queen-url ${queen.url}; echo "rbee exited $?"; sleep 120`);

    await until((s) => s.includes("● connected") && /localhost\s+online/.test(s), "the header connected and the local hive");
    keys("3");
    await until((s) => /demo-tiny\s+localhost/.test(s), "the models view");

    // i: model and prompt → tokens stream into a pane.
    keys("i");
    await until((s) => s.includes("Infer on localhost") && /model\s+demo-tiny/.test(s), "the infer form");
    type("Once upon a time");
    keys("Enter");
    await until((s) => /infer \w{8} (running|completed) \d+ tok/.test(s), "tokens arriving in the pane", 60_000);
    await until((s) => /infer \w{8} completed/.test(s) && s.includes("[DONE]") && /tok\/s/.test(s), "the inference done");

    // A download that stalls on the wire stays running until cancelled.
    files.files.set("/slow.gguf", { body: ggufOfSize(4 * 1024 * 1024), stallOnceAfter: 1024 * 1024 });
    keys("d");
    await until((s) => s.includes("Download a model to localhost"), "the download form");
    type(files.url("/slow.gguf"));
    keys("Enter");
    await until((s) => /model_download \w{8} running/.test(s), "the download pane running");
    keys("4");
    await until((s) => /▸job-\w+\s+model_download\s+running/.test(s), "the running download selected in the jobs view");
    keys("c");
    await until((s) => s.includes("Cancel model_download job"), "the confirm dialog");
    keys("y");
    await until((s) => s.includes("[CANCELLED]") && /job-\w+\s+model_download\s+cancelled/.test(s), "[CANCELLED] in the pane and the list");

    // Wide: both panes share a row and the jobs list has room for its EVENTS column.
    let wide = screen();
    expect(wide.split("\n").some((l) => /infer \w{8} /.test(l) && /model_download \w{8} /.test(l))).toBe(true);
    expect(wide).toContain("EVENTS");
    tmux("resize-window", "-t", "tui", "-x", "50", "-y", "20");
    const tableTop = (s: string) => s.split("\n").find((l) => l.startsWith("╭─ Jobs")) ?? "";
    const narrow = await until((s) => !s.includes("EVENTS") && [...tableTop(s)].length === 50, "the screen reflowed to 50×20");
    expect(narrow.trimEnd().split("\n").length).toBeLessThanOrEqual(20);
    expect(narrow.split("\n").some((l) => /infer \w{8} /.test(l) && /model_download \w{8} /.test(l))).toBe(false);
    expect(Math.max(...narrow.split("\n").map((l) => [...l].length))).toBeLessThanOrEqual(50);
    tmux("resize-window", "-t", "tui", "-x", "100", "-y", "30");
    wide = await until((s) => s.includes("EVENTS"), "the screen reflowed back to 100×30");

    keys("q");
    await until((s) => s.includes("rbee exited 0"), "the dashboard to exit 0");
  }, 180_000);
});

describe("compiled rbee tui without a terminal", () => {
  it("says it needs one, prints a one-shot status and exits 1 (plain `rbee` too)", async () => {
    const home = tempHome("rbee-tui-notty-");
    const queen = await startRbeeDaemon(["serve", "--port", "0"], { RBEE_HOME: home.home });
    try {
      for (const args of [[], ["tui"]]) {
        const res = await runRbee(args, { RBEE_HOME: home.home, RBEE_QUEEN_URL: queen.url });
        expect(res.code).toBe(1);
        expect(res.stderr).toContain("the dashboard needs a terminal; try `rbee status`");
        expect(res.stdout).toMatch(/^hives\s+1\/1 online: localhost \(online\)$/m);
        expect(res.stdout).toMatch(/^jobs\s+0 running$/m);
      }
    } finally {
      await queen.stop();
      home.cleanup();
    }
  });

  it("with no queen answering it still exits 1 with a clear line, no stack trace", async () => {
    const res = await runRbee(["tui", "--queen-url", "http://127.0.0.1:9"], { RBEE_NO_AUTOSTART: "1" });
    expect(res.code).toBe(1);
    expect(res.stdout).toContain("http://127.0.0.1:9: not reachable");
    expect(res.stderr).not.toMatch(/\bat \S+ \(/);
  });

  it("--help still lists every command and --version prints the version", async () => {
    const help = await runRbee(["--help"], {});
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("rbee status");
    expect(help.stdout).toContain("rbee tui");
    expect((await runRbee(["--version"], {})).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
