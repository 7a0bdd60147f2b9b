import { KEYS, WHEN_TEXT } from "../keys.ts";
import type { Size } from "../layout.ts";
import type { StyledLine } from "../pane-lines.ts";
import type { Modal } from "../ui-state.ts";
import { Overlay } from "./overlay.tsx";

/** The open dialog: a y/n question, a form, the key help, or a record's details. */
export function ModalView({ modal, size }: { modal: Modal; size: Size }) {
  switch (modal.kind) {
    case "confirm":
      return <Overlay title="Confirm" color="yellow" size={size} lines={[{ text: modal.question }, { text: "" }, { text: "y = yes, n or esc = no", dim: true }]} />;
    case "form":
      return <Overlay title={modal.title} size={size} lines={formLines(modal)} />;
    case "help":
      return <Overlay title="Keys" size={size} width={72} lines={helpLines()} />;
    case "detail":
      return <Overlay title={modal.title} size={size} width={76} lines={recordLines(modal.record)} />;
  }
}

function formLines(modal: Extract<Modal, { kind: "form" }>): StyledLine[] {
  const width = Math.max(...modal.fields.map((f) => f.label.length));
  const lines: StyledLine[] = modal.fields.map((f, i) => {
    const active = i === modal.index;
    const value = f.value || (active ? "" : (f.placeholder ?? ""));
    return { text: `${active ? "▸" : " "} ${f.label.padEnd(width)}  ${value}${active ? "▌" : ""}`, dim: !f.value && !active };
  });
  const hint = modal.fields[modal.index]?.placeholder;
  if (hint) lines.push({ text: `  e.g. ${hint}`, dim: true });
  if (modal.error) lines.push({ text: "" }, { text: modal.error, color: "red" });
  return lines;
}

/** Every row of the key table, with when it applies. */
export function helpLines(): StyledLine[] {
  return KEYS.map((b) => ({ text: `${b.key.padEnd(6)} ${b.label.padEnd(12)} ${WHEN_TEXT[b.when]}` }));
}

function recordLines(record: Record<string, unknown>): StyledLine[] {
  const entries = Object.entries(record).filter(([, v]) => v !== undefined);
  const width = Math.max(...entries.map(([k]) => k.length));
  return entries.map(([k, v]) => ({ text: `${k.padEnd(width)}  ${formatValue(k, v)}` }));
}

/** Times (`*_at`, `last_seen` in ms) as readable local times; objects as JSON. */
function formatValue(key: string, value: unknown): string {
  if (typeof value === "number" && (key.endsWith("_at") || key === "last_seen") && value > 1e12) {
    const d = new Date(value);
    return `${d.toLocaleDateString("sv")} ${d.toLocaleTimeString("sv")}`;
  }
  return typeof value === "object" && value !== null ? JSON.stringify(value) : String(value);
}
