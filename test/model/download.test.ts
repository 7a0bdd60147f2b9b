import { existsSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { RbeeError } from "../../src/protocol/errors.ts";
import { runWithNarration } from "../../src/narration/context.ts";
import type { JobEvent, NarrationEvent } from "../../src/protocol/events.ts";
import { downloadFile } from "../../src/model/download.ts";
import { startFileServer, type FileServer } from "./file-server.ts";
import { startStallingServer } from "../helpers/slow-server.ts";
import { freshHome, ggufOfSize, sha256, until } from "./fixtures.ts";

function narrated(events: JobEvent[], action?: string): NarrationEvent[] {
  return events.filter((e): e is NarrationEvent => e.kind === "narration" && (!action || e.action === action));
}

function inJob<T>(events: JobEvent[], fn: () => Promise<T>): Promise<T> {
  return runWithNarration({ jobId: "t", correlationId: "t", emit: (e) => events.push(e) }, fn);
}

describe("downloadFile", () => {
  let home: Awaited<ReturnType<typeof freshHome>>;
  let server: FileServer;
  let dest: string;
  const model = ggufOfSize(1024 * 1024);

  beforeEach(async () => {
    home = await freshHome();
    server = await startFileServer();
    server.files.set("/m.gguf", { body: model });
    dest = join(home.home, "models", "m.gguf");
  });
  afterEach(async () => {
    await server.stop();
    await home.restore();
  });

  it("given a file on the server, streams it into place and narrates start, progress and done", async () => {
    const events: JobEvent[] = [];
    const started = performance.now();
    const result = await inJob(events, () => downloadFile(server.url("/m.gguf"), dest, { sha256: sha256(model), expectedSize: model.length }));
    const elapsedMs = performance.now() - started;

    expect(result).toEqual({ size_bytes: model.length, sha256: sha256(model), resumed_from: 0 });
    expect(sha256(new Uint8Array(await readFile(dest)))).toBe(sha256(model));
    expect(existsSync(`${dest}.part`)).toBe(false);
    expect(narrated(events, "download_start")).toHaveLength(1);
    const progress = narrated(events, "download_progress");
    // 17 chunks of 64 KiB, yet at most one event per 250 ms plus the final one.
    expect(progress.length).toBeGreaterThanOrEqual(1);
    expect(progress.length).toBeLessThanOrEqual(2 + Math.floor(elapsedMs / 250));
    expect(progress.at(-1)!.progress).toEqual({ current: model.length, total: model.length, unit: "bytes" });
    expect(progress.at(-1)!.fields).toMatchObject({ rate_bps: expect.any(Number) });
    expect(narrated(events, "download_done")).toHaveLength(1);
    expect(events.every((e) => e.kind !== "narration" || e.job_id === "t")).toBe(true);
  });

  it("given a connection cut midway, retries with a Range and fetches only the missing bytes", async () => {
    server.files.set("/m.gguf", { body: model, stallOnceAfter: 300 * 1024 });
    const events: JobEvent[] = [];
    const download = inJob(events, () => downloadFile(server.url("/m.gguf"), dest, { sha256: sha256(model), retryDelayMs: 1 }));
    await until(() => existsSync(`${dest}.part`) && statSync(`${dest}.part`).size === 300 * 1024, 10_000, "300 KiB on disk");

    server.cutStalled();

    const result = await download;

    const [first, second] = server.servedFor("/m.gguf");
    expect(first).toMatchObject({ range: null, bytes: 300 * 1024 });
    expect(second.range).toBe(`bytes=${300 * 1024}-`);
    expect(second).toMatchObject({ status: 206, bytes: model.length - 300 * 1024 });
    expect(result.resumed_from).toBe(300 * 1024);
    expect(sha256(new Uint8Array(await readFile(dest)))).toBe(sha256(model));
    expect(narrated(events, "download_retry")[0].human).toContain("stopped after 307200 of 1048832 bytes");
    expect(narrated(events, "download_start").map((e) => e.human)).toEqual([expect.stringContaining("downloading m.gguf"), expect.stringContaining("resuming m.gguf at 300.0 KiB")]);
  });

  it("given a download cancelled through its signal, keeps the part file, leaves no file at dest, and resumes next time", async () => {
    server.files.set("/m.gguf", { body: model, stallOnceAfter: 400 * 1024 });
    const controller = new AbortController();
    const events: JobEvent[] = [];
    const first = inJob(events, () => downloadFile(server.url("/m.gguf"), dest, { signal: controller.signal }));
    await until(() => existsSync(`${dest}.part`) && statSync(`${dest}.part`).size === 400 * 1024, 10_000, "400 KiB on disk");

    controller.abort();

    await expect(first).rejects.toMatchObject({ code: "CANCELLED" });
    expect(existsSync(dest)).toBe(false);
    expect(statSync(`${dest}.part`).size).toBe(400 * 1024);

    const result = await downloadFile(server.url("/m.gguf"), dest, { sha256: sha256(model) });
    const second = server.servedFor("/m.gguf")[1];
    expect(second.range).toBe(`bytes=${400 * 1024}-`);
    expect(second.bytes).toBe(model.length - 400 * 1024);
    expect(result.resumed_from).toBe(400 * 1024);
    expect(sha256(new Uint8Array(await readFile(dest)))).toBe(sha256(model));
  });

  it("given a redirect to another host (a CDN), resumes there with the Range", async () => {
    server.files.set("/cdn/blob", { body: model, stallOnceAfter: 200 * 1024 });
    server.redirects.set("/m.gguf", server.url("/cdn/blob").replace("127.0.0.1", "localhost"));
    const controller = new AbortController();
    const first = downloadFile(server.url("/m.gguf"), dest, { signal: controller.signal });
    await until(() => existsSync(`${dest}.part`) && statSync(`${dest}.part`).size === 200 * 1024, 10_000, "200 KiB on disk");
    controller.abort();
    await expect(first).rejects.toMatchObject({ code: "CANCELLED" });

    await downloadFile(server.url("/m.gguf"), dest, { sha256: sha256(model), headers: { Authorization: "Bearer hf_secret" } });
    expect(server.servedFor("/m.gguf").map((s) => s.range)).toEqual([null, `bytes=${200 * 1024}-`]);
    // The token goes to the endpoint, never on to the other host.
    expect(server.servedFor("/cdn/blob")[1]).toMatchObject({ range: `bytes=${200 * 1024}-`, authorization: null, status: 206, bytes: model.length - 200 * 1024 });
  });

  it("given a server that ignores ranges, starts over and still produces the right file", async () => {
    server.files.set("/m.gguf", { body: model, ignoreRange: true });
    await Bun.write(`${dest}.part`, model.slice(0, 1000));
    const events: JobEvent[] = [];
    const result = await inJob(events, () => downloadFile(server.url("/m.gguf"), dest, { sha256: sha256(model) }));
    expect(result.resumed_from).toBe(0);
    expect(narrated(events, "download_restart")).toHaveLength(1);
    expect(sha256(new Uint8Array(await readFile(dest)))).toBe(sha256(model));
  });

  it("given a part file that is already complete, finishes without fetching the body again", async () => {
    await Bun.write(`${dest}.part`, model);
    const result = await downloadFile(server.url("/m.gguf"), dest, { sha256: sha256(model) });
    expect(server.servedFor("/m.gguf")[0]).toMatchObject({ status: 416, bytes: 0 });
    expect(result).toMatchObject({ size_bytes: model.length, resumed_from: model.length });
    expect(existsSync(dest)).toBe(true);
  });

  it.each([
    [404, "MODEL_NOT_FOUND"],
    [403, "MODEL_FORBIDDEN"],
    [401, "MODEL_FORBIDDEN"],
    [400, "DOWNLOAD_FAILED"],
  ])("given HTTP %i, fails with %s and a hint, leaving nothing at dest", async (status, code) => {
    server.statuses.set("/m.gguf", status);
    const err = await downloadFile(server.url("/m.gguf"), dest).catch((e) => e);
    expect(err).toMatchObject({ code, hint: expect.any(String) });
    expect(existsSync(dest)).toBe(false);
    expect(existsSync(`${dest}.part`)).toBe(false);
  });

  it("given a 503 that persists, retries and then fails with DOWNLOAD_FAILED", async () => {
    server.statuses.set("/m.gguf", 503);
    const err = await downloadFile(server.url("/m.gguf"), dest, { retries: 2, retryDelayMs: 1 }).catch((e) => e);
    expect(err).toMatchObject({ code: "DOWNLOAD_FAILED", message: expect.stringContaining("503") });
    expect(server.servedFor("/m.gguf")).toHaveLength(3);
  });

  it("given a wrong digest, fails with CHECKSUM_MISMATCH and removes the bad bytes", async () => {
    const err = await downloadFile(server.url("/m.gguf"), dest, { sha256: "00".repeat(32) }).catch((e) => e);
    expect(err).toMatchObject({ code: "CHECKSUM_MISMATCH" });
    expect(existsSync(dest)).toBe(false);
    expect(existsSync(`${dest}.part`)).toBe(false);
  });

  it("given a head check that fails, stops after the first bytes and removes the part", async () => {
    const heads: Uint8Array[] = [];
    const err = await downloadFile(server.url("/m.gguf"), dest, {
      checkHead: (head) => {
        heads.push(head);
        throw new RbeeError("NOT_GGUF", "wrong file");
      },
    }).catch((e) => e);
    expect(err).toMatchObject({ code: "NOT_GGUF" });
    expect(heads.map((h) => h.length)).toEqual([16]);
    expect(server.servedFor("/m.gguf")).toHaveLength(1);
    expect(existsSync(dest)).toBe(false);
    expect(existsSync(`${dest}.part`)).toBe(false);
  });

  it("given an unreachable host, fails with DOWNLOAD_FAILED", async () => {
    const url = server.url("/m.gguf");
    await server.stop();
    const err = await downloadFile(url, dest, { retries: 0 }).catch((e) => e);
    expect(err).toMatchObject({ code: "DOWNLOAD_FAILED", message: expect.stringContaining("could not reach") });
    expect(existsSync(dest)).toBe(false);
  });

  it("given a transfer that goes silent once, drops it after the stall timeout and resumes with a Range", async () => {
    server.files.set("/m.gguf", { body: model, stallOnceAfter: 300 * 1024 });
    const events: JobEvent[] = [];
    const result = await inJob(events, () => downloadFile(server.url("/m.gguf"), dest, { sha256: sha256(model), stallMs: 300, retryDelayMs: 1 }));
    expect(server.servedFor("/m.gguf").map((s) => s.range)).toEqual([null, `bytes=${300 * 1024}-`]);
    expect(result.resumed_from).toBe(300 * 1024);
    expect(narrated(events, "download_retry")[0].human).toMatch(/sent nothing for 0\.3 s/);
    expect(sha256(new Uint8Array(await readFile(dest)))).toBe(sha256(model));
  });

  it("given a server that sends headers and 64 bytes and then nothing, retries a bounded number of times and fails with DOWNLOAD_STALLED", async () => {
    const stalling = await startStallingServer(1024 * 1024, 64);
    try {
      const started = performance.now();
      const err = await downloadFile(stalling.url, dest, { stallMs: 300, retries: 2, retryDelayMs: 1 }).catch((e) => e);
      const took = performance.now() - started;
      expect(err).toMatchObject({ code: "DOWNLOAD_STALLED", message: expect.stringMatching(/sent nothing for 0\.3 s \(gave up after 3 attempts\)/), hint: expect.stringContaining("resumes") });
      expect(stalling.ranges).toEqual([null, "bytes=64-", "bytes=64-"]);
      // three silences of 0.3 s, not minutes
      expect(took).toBeGreaterThanOrEqual(900);
      expect(took).toBeLessThan(10_000);
      expect(existsSync(dest)).toBe(false);
    } finally {
      await stalling.stop();
    }
  });

  it("checks every redirect hop: a hop to plain http on another host is refused before it is fetched", async () => {
    // /m.gguf → localhost/hop (loopback http: allowed) → http://192.0.2.1/… (another host: refused)
    server.redirects.set("/m.gguf", server.url("/hop").replace("127.0.0.1", "localhost"));
    server.redirects.set("/hop", "http://192.0.2.1/m.gguf");
    const err = await downloadFile(server.url("/m.gguf"), dest, { retries: 0, stallMs: 5_000 }).catch((e) => e);
    expect(err).toMatchObject({ code: "UNSAFE_REDIRECT", message: expect.stringContaining("http://192.0.2.1") });
    expect(err.message).toContain("plain http");
    expect(server.servedFor("/hop")).toHaveLength(1);
    expect(existsSync(`${dest}.part`)).toBe(false);
  });

  it("follows a chain of safe redirects to the file", async () => {
    server.files.set("/cdn/blob", { body: model });
    server.redirects.set("/m.gguf", server.url("/hop"));
    server.redirects.set("/hop", server.url("/cdn/blob"));
    const result = await downloadFile(server.url("/m.gguf"), dest, { sha256: sha256(model) });
    expect(result.size_bytes).toBe(model.length);
  });
});
