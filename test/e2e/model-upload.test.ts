import { closeSync, existsSync, ftruncateSync, mkdtempSync, openSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRbeeDaemon, tempHome, type Daemon } from "../helpers/rbee-binary.ts";

describe("compiled rbee: a model file sent up by the keeper", () => {
  const home = tempHome();
  const folder = mkdtempSync(join(tmpdir(), "rbee-upload-"));
  let queen: Daemon;
  beforeAll(async () => {
    queen = await startRbeeDaemon(["serve", "--port", "0"], { RBEE_HOME: home.home });
  });
  afterAll(async () => {
    await queen?.stop();
    home.cleanup();
    rmSync(folder, { recursive: true, force: true });
  });

  const put = (name: string, body: BodyInit) => fetch(`${queen.url}/v1/hives/localhost/v1/models/upload/${name}`, { method: "PUT", body });

  it("a file larger than Bun's default body cap (128 MiB) arrives whole in the import folder", async () => {
    const file = join(folder, "big.gguf");
    const fd = openSync(file, "w");
    ftruncateSync(fd, 200 * 1024 * 1024);
    closeSync(fd);
    const res = await put("big.gguf", Bun.file(file));
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ name: "big.gguf", bytes: 200 * 1024 * 1024 });
    expect(statSync(join(home.home, "data", "import", "big.gguf")).size).toBe(200 * 1024 * 1024);
  });

  it("a name that could leave the import folder is refused, and nothing is written", async () => {
    for (const name of ["..%2Fevil.gguf", ".hidden.gguf", "x.txt"]) {
      const res = await put(name, "GGUF");
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("INVALID_UPLOAD_NAME");
    }
    expect(existsSync(join(home.home, "data", "evil.gguf"))).toBe(false);
    expect(readdirSync(join(home.home, "data", "import"))).toEqual(["big.gguf"]);
  });
});
