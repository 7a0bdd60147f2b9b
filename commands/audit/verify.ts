import { Command, Option } from "clipanion";
import { auditFile } from "../../src/security/audit-log.ts";
import { verifyAuditLog } from "../../src/security/audit-verify.ts";
import { RbeeCommand } from "../rbee-command.ts";

export class AuditVerifyCommand extends RbeeCommand {
  static paths = [["audit", "verify"]];
  static usage = Command.Usage({
    category: "Security",
    description: "check the audit log's hash chain and seal; report tampered, missing or cut lines",
    details: `
      The audit log is off by default; turn it on with RBEE_AUDIT=1 or \`{"audit": true}\` in config.json.
      Each record holds the hash of the one before it, so an edited, removed or inserted line breaks the chain.
      The seal (\`audit.log.seal\`, kept apart from the log) counts each file's records, so a cut tail, an
      emptied or a deleted file is reported with the number of records missing. Rotated files
      (\`audit.log.1\`, \`audit.log.2\` …) are walked in order: the chain runs on from file to file.
      Exit 0 when everything is whole, 1 otherwise.
    `,
    examples: [["Verify the log", "$0 audit verify"], ["Verify another file", "$0 audit verify --file ./audit.log"]],
  });

  file = Option.String("--file", { description: "the live log to check, next to its seal and rotated files (default: audit.log in the state folder)" });
  json = Option.Boolean("--json", false, { description: "print the result as JSON" });

  async run(): Promise<number> {
    const file = this.file ?? auditFile();
    const result = verifyAuditLog(file);
    const out = this.context.stdout;
    if (this.json) {
      out.write(`${JSON.stringify({ file, ...result })}\n`);
      return result.ok ? 0 : 1;
    }
    const files = result.files.length > 1 ? ` in ${result.files.length} files` : "";
    const pruned = result.pruned ? `, ${result.pruned} older record(s) rotated out` : "";
    if (result.ok) out.write(`ok: ${result.records} record(s)${files}, chain intact${pruned} (${file})\n`);
    else {
      out.write(`TAMPERED: ${result.problems.length} problem(s)${result.missing ? `, ${result.missing} record(s) missing` : ""}; ${result.records} record(s)${files} (${file})\n`);
      for (const p of result.problems) out.write(`  ${p.file}${p.line ? ` line ${p.line}` : ""}: ${p.problem}\n`);
    }
    return result.ok ? 0 : 1;
  }
}
