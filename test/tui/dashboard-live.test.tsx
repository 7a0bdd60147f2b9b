import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cleanup, render } from "ink-testing-library";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { closeCatalogs } from "../../src/model/catalog.ts";
import { startQueen, type RunningQueen } from "../../src/queen/start-queen.ts";
import { App } from "../../tui/app.tsx";
import { queenApi } from "../../tui/queen-api.ts";
import { DashboardStore } from "../../tui/store.ts";
import { ggufOfSize } from "../model/fixtures.ts";
import { startFileServer, type FileServer } from "../model/file-server.ts";
import { KEY, plain, waitFor } from "./helpers.ts";

/** The dashboard against a real queen (embedded hive, real workers) in this process. */
describe("dashboard on a live queen", () => {
  let home: string;
  let previousHome: string | undefined;
  let queen: RunningQueen | undefined;
  let store: DashboardStore;
  let files: FileServer;

  beforeEach(async () => {
    home = mkdtempSync(join(tmpdir(), "rbee-tui-"));
    previousHome = process.env.RBEE_HOME;
    process.env.RBEE_HOME = home;
    queen = startQueen({ port: 0, bind: "127.0.0.1" });
    store = new DashboardStore(queenApi(queen.url), queen.url, { pollMs: 200, maxBackoffMs: 400, publishMs: 10 });
    files = await startFileServer();
  });

  afterEach(async () => {
    cleanup();
    store.stop();
    await queen?.stop();
    await files.stop();
    closeCatalogs();
    if (previousHome === undefined) delete process.env.RBEE_HOME;
    else process.env.RBEE_HOME = previousHome;
    rmSync(home, { recursive: true, force: true });
  });

  function open() {
    store.start();
    const app = render(<App store={store} size={{ columns: 100, rows: 30 }} />);
    const frame = () => plain(app.lastFrame());
    const press = async (keys: string, until: (f: string) => boolean, what: string, ms = 10_000) => {
      app.stdin.write(keys);
      await waitFor(() => until(frame()), ms, `${what}\n--- last frame ---\n${frame()}`);
    };
    return { app, frame, press };
  }

  it("downloads the demo model from a form, then streams an inference's tokens into a pane", async () => {
    const { frame, press } = open();
    await waitFor(() => frame().includes("● connected") && /localhost\s+online/.test(frame()), 10_000, "connected");
    await press("d", (f) => f.includes("Download a model to localhost"), "the download form");
    await press("demo:tiny", (f) => f.includes("source  demo:tiny"), "typing the source");
    await press(KEY.enter, (f) => /model_download \w{8} completed/.test(f), "the download to complete", 20_000);
    await press("3", (f) => /demo-tiny\s+localhost/.test(f), "the model listed");
    await press("i", (f) => f.includes("Infer on localhost") && /model\s+demo-tiny/.test(f), "the infer form");
    await press("Once upon a time", (f) => f.includes("prompt  Once upon a time"), "typing the prompt");
    await press(KEY.enter, (f) => /infer \w{8} (running|completed) \d+ tok/.test(f), "tokens in the pane", 60_000);
    await waitFor(() => /infer \w{8} completed/.test(frame()) && frame().includes("[DONE]"), 60_000, "the inference to finish");
    expect(frame()).toMatch(/tok\/s/);

    // l on a finished job replays its story into a pinned pane.
    await press("4", (f) => /▸job-\w+\s+infer\s+completed/.test(f), "the jobs view");
    await press("j", (f) => /▸job-\w+\s+model_download\s+completed/.test(f), "the download job selected");
    await press("l", (f) => /▸ model_download \w{8} completed/.test(f), "its log pinned");

    // x on the worker asks, y stops it: the stop is a job with its own pane.
    await press("2", (f) => /▸wrk-\w+\s+demo-tiny\s+ready/.test(f), "the workers view");
    await press("x", (f) => f.includes("Stop worker"), "the confirm dialog");
    await press("y", (f) => /worker wrk-\w+ stopped/.test(f), "the worker_stop story in its pane", 20_000);
    await waitFor(() => !/wrk-\w+\s+demo-tiny\s+ready/.test(frame()), 10_000, "the worker gone from ready");
  });

  it("the devices view (5) reads every hive's devices while it is shown, and keeps them fresh", async () => {
    const { frame, press } = open();
    const deviceReads = () => queen!.registry.list().filter((j) => j.info().operation === "device_list").map((j) => j.id);
    await waitFor(() => frame().includes("● connected") && /localhost\s+online/.test(frame()), 10_000, "connected");
    // hidden, the devices are not read (listing them may probe a Vulkan engine per device)
    expect(deviceReads()).toEqual([]);
    await press("5", (f) => /▸localhost\s+cpu:0\s+\d+\.\d GiB\s+\d+\.\d GiB\s+\[[█░]{8}\]\s+\d+%\s+no\s+built-in/.test(f), "this machine's CPU and RAM listed");
    expect(frame()).toContain("5 devices");
    // shown, they are read again on later polls
    const seen = new Set(deviceReads());
    await waitFor(() => deviceReads().some((id) => !seen.has(id)), 10_000, "a fresh read of the devices");
  });

  it("cancels a running download after y/n; its pane ends with [CANCELLED]", async () => {
    files.files.set("/slow.gguf", { body: ggufOfSize(4 * 1024 * 1024), stallOnceAfter: 1024 * 1024 });
    const { frame, press } = open();
    await waitFor(() => frame().includes("● connected"), 10_000, "connected");
    await press("d", (f) => f.includes("Download a model"), "the download form");
    await press(files.url("/slow.gguf"), (f) => f.includes("/slow.gguf"), "typing the URL");
    await press(KEY.enter, (f) => /model_download \w{8} running/.test(f), "the download pane");
    await press("4", (f) => /▸job-\w+\s+model_download\s+running/.test(f), "the running job selected");
    await press("c", (f) => f.includes("Cancel model_download job"), "the confirm dialog");
    await press("y", (f) => f.includes("[CANCELLED]"), "the pane to end with [CANCELLED]");
    await waitFor(() => /job-\w+\s+model_download\s+cancelled/.test(frame()), 5_000, "the jobs view to say cancelled");
  });

  it("shows disconnected when the queen goes away and reconnects by itself when it is back", async () => {
    const { frame } = open();
    await waitFor(() => frame().includes("● connected"), 10_000, "connected");
    const port = queen!.port;
    await queen!.stop();
    queen = undefined;
    await waitFor(() => frame().includes("● disconnected"), 10_000, "disconnected");
    expect(frame()).toMatch(/UNREACHABLE|did not answer/);
    queen = startQueen({ port, bind: "127.0.0.1" });
    await waitFor(() => frame().includes("● connected"), 10_000, "connected again");
    expect(frame()).toMatch(/localhost\s+online/);
  });
});
