declare const RBEE_VERSION: string | undefined;

/** Set by build.ts at compile time; read from package.json when running from source. */
export const VERSION: string =
  typeof RBEE_VERSION === "string" ? RBEE_VERSION : (await import("../package.json", { with: { type: "json" } })).default.version;
