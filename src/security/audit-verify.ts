import { existsSync } from "node:fs";
import { basename } from "node:path";
import { GENESIS, inDir, readSeal, recordHash, rotatedFiles, scanFile, sealFile, type Seal } from "./audit-seal.ts";

export interface AuditProblem {
  file: string;
  /** 1-based line in that file, when the problem is one line. */
  line?: number;
  problem: string;
  /** Records the seal counts that are not in the file. */
  missing?: number;
}

export interface VerifyResult {
  ok: boolean;
  /** Records found, all files together. */
  records: number;
  files: string[];
  /** Records in rotated files deleted by keep_files (before the first file kept). */
  pruned: number;
  /** Records missing against the seal, all files together. */
  missing: number;
  problems: AuditProblem[];
  /** The first problem's line and text (what a one-line report shows). */
  line?: number;
  problem?: string;
}

/** Reported problems stop here: a file rewritten from top to bottom says enough in 20 lines. */
const MAX_PROBLEMS = 20;

/**
 * Walks the chain through every file the seal lists (rotated ones first), reporting each
 * edited, removed or inserted line, and each file holding fewer records than its seal
 * counts: a cut tail, an emptied or a deleted file.
 */
export function verifyAuditLog(file: string): VerifyResult {
  const seal = readSeal(file);
  const problems: AuditProblem[] = [];
  const listed: Seal["files"] = seal?.files ?? [...rotatedFiles(file), basename(file)].map((name) => ({ name, records: -1, last: "" }));
  let prev = seal?.base ?? GENESIS;
  let records = 0;
  let missing = 0;
  for (const entry of listed) {
    const path = inDir(file, entry.name);
    let lines: string[];
    try {
      lines = scanFile(path).lines;
    } catch (err) {
      problems.push({ file: entry.name, problem: `cannot be read (${(err as NodeJS.ErrnoException).code ?? "error"})` });
      continue;
    }
    records += lines.length;
    let sealedHash: string | undefined;
    for (const [i, line] of lines.entries()) {
      const where = { file: entry.name, line: i + 1 };
      let record: Record<string, unknown>;
      try {
        record = JSON.parse(line);
      } catch {
        problems.push({ ...where, problem: "not a JSON record" });
        continue;
      }
      const { hash, ...body } = record;
      if (body.prev !== prev) problems.push({ ...where, problem: "the chain is broken here: a line before it is missing or was inserted" });
      else if (recordHash(prev, body) !== hash) problems.push({ ...where, problem: "the record was changed after it was written" });
      prev = typeof hash === "string" ? hash : prev;
      if (i + 1 === entry.records) sealedHash = prev;
    }
    if (entry.records < 0) continue;
    if (lines.length < entry.records) {
      const gone = entry.records - lines.length;
      missing += gone;
      const what = !existsSync(path) ? "the file is gone" : lines.length ? `it holds ${lines.length}` : "it is empty";
      problems.push({ file: entry.name, missing: gone, problem: `${gone} record(s) missing: the seal counts ${entry.records}, ${what}` });
    } else if (entry.records > 0 && sealedHash !== entry.last) {
      problems.push({ file: entry.name, line: entry.records, problem: "the last sealed record was replaced" });
    }
  }
  if (!seal && records) problems.unshift({ file: basename(sealFile(file)), problem: "no seal: a cut tail cannot be ruled out (the daemon writes one when it next starts)" });
  const first = problems[0];
  return {
    ok: problems.length === 0,
    records,
    files: listed.map((f) => f.name),
    pruned: seal?.pruned ?? 0,
    missing,
    problems: problems.slice(0, MAX_PROBLEMS),
    ...(first ? { line: first.line, problem: first.problem } : {}),
  };
}
