import { Command, Option } from "clipanion";
import { auditFile, verifyAuditLog } from "../../src/security/audit-log.ts";
import { RbeeCommand } from "../rbee-command.ts";

export class AuditVerifyCommand extends RbeeCommand {
  static paths = [["audit", "verify"]];
  static usage = Command.Usage({
    category: "Security",
    description: "check the audit log's hash chain; report the first tampered or missing line",
    details: `
      The audit log is off by default; turn it on with RBEE_AUDIT=1 or \`{"audit": true}\` in config.json.
      Each record holds the hash of the one before it. Exit 0 when the chain is whole, 1 otherwise.
    `,
    examples: [["Verify the log", "$0 audit verify"], ["Verify another file", "$0 audit verify --file ./audit.log"]],
  });

  file = Option.String("--file", { description: "the log to check (default: audit.log in the state folder)" });
  json = Option.Boolean("--json", false, { description: "print the result as JSON" });

  async run(): Promise<number> {
    const file = this.file ?? auditFile();
    const result = verifyAuditLog(file);
    if (this.json) this.context.stdout.write(`${JSON.stringify({ file, ...result })}\n`);
    else if (result.ok) this.context.stdout.write(`ok: ${result.records} record(s), chain intact (${file})\n`);
    else this.context.stdout.write(`TAMPERED: line ${result.line} of ${result.records}: ${result.problem} (${file})\n`);
    return result.ok ? 0 : 1;
  }
}
