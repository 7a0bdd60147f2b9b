import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";

/**
 * node-llama-cpp's real Vulkan engine package, packed once into .cache/engines (outside git)
 * by .ci/run: `npm pack @node-llama-cpp/linux-x64-vulkan@VERSION --pack-destination .cache/engines`.
 * Tests serve it from a loopback registry or install it from the file; none reaches the internet.
 */
export const VULKAN_PACKAGE = "@node-llama-cpp/linux-x64-vulkan";
/** GPU engines match the binding's version exactly. */
export const ENGINE_VERSION: string = JSON.parse(readFileSync(resolve(import.meta.dirname, "../../node_modules/node-llama-cpp/package.json"), "utf8")).version;
export const VULKAN_TARBALL = resolve(import.meta.dirname, `../../.cache/engines/node-llama-cpp-linux-x64-vulkan-${ENGINE_VERSION}.tgz`);

export function vulkanTarball(): string {
  if (!existsSync(VULKAN_TARBALL)) {
    throw new Error(`${VULKAN_TARBALL} is missing: run \`npm pack ${VULKAN_PACKAGE}@${ENGINE_VERSION} --pack-destination .cache/engines\` (.ci/run does)`);
  }
  return VULKAN_TARBALL;
}

export const sha512Integrity = (bytes: Uint8Array) => `sha512-${createHash("sha512").update(bytes).digest("base64")}`;

/**
 * A minimal npm registry on loopback: the abbreviated packument of each package (versions →
 * dist.tarball + dist.integrity, integrity of `integrityOf` when given) and its tarball.
 */
export function startRegistry(packages: Record<string, { version: string; tarball: Uint8Array; integrityOf?: Uint8Array }>) {
  const hits: string[] = [];
  const server: Bun.Server<undefined> = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req) {
      const path = decodeURIComponent(new URL(req.url).pathname);
      hits.push(path);
      for (const [name, p] of Object.entries(packages)) {
        if (path === `/${name}`) {
          const dist: { tarball: string; integrity: string } = { tarball: `${server.url}tarballs/${name}-${p.version}.tgz`, integrity: sha512Integrity(p.integrityOf ?? p.tarball) };
          return Response.json({ name, versions: { [p.version]: { name, version: p.version, dist } } });
        }
        if (path === `/tarballs/${name}-${p.version}.tgz`) return new Response(p.tarball as Uint8Array<ArrayBuffer>);
      }
      return Response.json({ error: "Not found" }, { status: 404 });
    },
  });
  return { url: server.url.href, hits, stop: () => server.stop(true) };
}

export const readTarball = () => new Uint8Array(readFileSync(vulkanTarball()));
