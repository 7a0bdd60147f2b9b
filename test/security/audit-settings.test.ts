import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { auditSettings } from "../../src/security/audit-settings.ts";
import { tempHome } from "../helpers/rbee-binary.ts";

describe("audit settings: config.json, then the environment", () => {
  let home: ReturnType<typeof tempHome>;
  const saved = process.env.RBEE_HOME;
  const config = (value: unknown) => writeFileSync(join(home.home, "config", "config.json"), JSON.stringify(value));
  beforeEach(() => {
    home = tempHome();
    mkdirSync(join(home.home, "config"));
    process.env.RBEE_HOME = home.home;
  });
  afterEach(() => {
    process.env.RBEE_HOME = saved;
    home.cleanup();
  });

  it("off without config; an audit object switches it on with its settings; the environment wins", () => {
    expect(auditSettings({})).toMatchObject({ enabled: false, failureAction: "continue", maxFileBytes: 8 * 1024 * 1024, keepFiles: 5, authFailureWindowMs: 60_000 });
    config({ audit: { failure_action: "refuse", max_file_bytes: 4096, keep_files: 2, auth_failure_window_s: 5 } });
    expect(auditSettings({})).toEqual({ enabled: true, failureAction: "refuse", maxFileBytes: 4096, keepFiles: 2, authFailureWindowMs: 5000 });
    expect(auditSettings({ RBEE_AUDIT: "0", RBEE_AUDIT_FAILURE_ACTION: "continue", RBEE_AUDIT_KEEP: "9" })).toMatchObject({ enabled: false, failureAction: "continue", keepFiles: 9 });
    config({ audit: { enabled: false } });
    expect(auditSettings({}).enabled).toBe(false);
    config({ audit: true });
    expect(auditSettings({}).enabled).toBe(true);
  });

  it("a typo in the audit settings is an error naming the field, not a log silently switched off", () => {
    config({ audit: { failure_action: "halt" } });
    expect(() => auditSettings({})).toThrow(expect.objectContaining({ code: "INVALID_CONFIG", message: expect.stringContaining("audit.failure_action") }));
  });
});
