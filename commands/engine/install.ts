import { randomBytes } from "node:crypto";
import { basename, resolve } from "node:path";
import { Command, Option, UsageError } from "clipanion";
import * as t from "typanion";
import { QueenCommand } from "../queen-command.ts";
import { hiveOption } from "../hive-option.ts";
import { formatBytes } from "../../src/keeper/table.ts";
import { RbeeError } from "../../src/protocol/errors.ts";
import { engineUploadPath } from "../../src/protocol/model-upload.ts";

export class EngineInstallCommand extends QueenCommand {
  static paths = [["engine", "install"]];
  static usage = Command.Usage({
    category: "Engines",
    description: "install a GPU engine (vulkan, cuda, metal) on a hive, from the npm registry or a tarball",
    details: `
      The hive fetches node-llama-cpp's prebuilt package for the backend at the engine's exact
      version (\`@node-llama-cpp/linux-x64-vulkan\`, \`linux-x64-cuda\` with \`linux-x64-cuda-ext\`,
      \`mac-arm64-metal\`) from the npm registry (RBEE_NPM_REGISTRY on the hive, else npm's
      registry setting, else registry.npmjs.org), checks its sha512 against the registry's
      integrity, and unpacks it beside the CPU engine. Nothing is left half-unpacked: a corrupt
      or truncated tarball is refused and the engine that was there stays.

      Without internet, \`--from FILE.tgz\` installs a tarball made elsewhere with
      \`npm pack @node-llama-cpp/linux-x64-vulkan@VERSION\`: the file is on this machine (the
      keeper's), which uploads it to the hive, local or remote; the hive checks and unpacks it
      and then deletes the upload.
    `,
    examples: [
      ["Vulkan on the local hive", "$0 engine install vulkan"],
      ["CUDA on gpu1", "$0 engine install cuda --hive gpu1"],
      ["From a tarball", "$0 engine install vulkan --from ./node-llama-cpp-linux-x64-vulkan-3.22.1.tgz"],
    ],
  });

  hive = hiveOption();
  backend = Option.String({ name: "backend", validator: t.isEnum(["vulkan", "cuda", "metal"] as const) });
  from = Option.Array("--from", { description: "package tarball(s) on this machine instead of the registry (uploaded to the hive)" });
  registry = Option.String("--registry", { description: "npm registry URL (default: the hive's npm registry setting)" });

  async run(): Promise<number> {
    if (this.registry && this.from) throw new UsageError("give --from or --registry, not both");
    const format = (r: unknown) => {
      const { backend, packages } = r as { backend: string; packages: { name: string; version: string }[] };
      return `${backend} engine installed: ${packages.map((p) => `${p.name}@${p.version}`).join(", ")}`;
    };
    if (!this.from) return this.follow({ operation: "engine_install", hive_id: this.hive, backend: this.backend, ...(this.registry ? { registry: this.registry } : {}) }, format);
    const queen = await this.ensureQueen();
    const uploaded: string[] = [];
    for (const file of this.from.map((f) => resolve(f))) {
      const blob = Bun.file(file);
      if (!(await blob.exists())) throw new RbeeError("FILE_NOT_FOUND", `no file ${file}`, "Give the path of a tarball on this machine (`npm pack @node-llama-cpp/linux-x64-vulkan@VERSION` makes one).", 404);
      // A random prefix keeps two installs of the same file from taking each other's upload.
      const name = `${randomBytes(4).toString("hex")}-${basename(file).replace(/[^A-Za-z0-9._-]/g, "_").replace(/(\.tgz)?$/, ".tgz")}`;
      this.context.stderr.write(`uploading ${file} (${formatBytes(blob.size)}) to hive ${this.hive} …\n`);
      await queen.request("PUT", engineUploadPath(this.hive, name), blob);
      uploaded.push(name);
    }
    return this.follow({ operation: "engine_install", hive_id: this.hive, backend: this.backend, uploaded }, format, queen);
  }
}
