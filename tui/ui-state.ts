import type { ViewName } from "./keys.ts";

/** A form field the user types into. */
export interface Field {
  name: string;
  label: string;
  value: string;
  placeholder?: string;
}

export type FormKind = "infer" | "spawn" | "download";

/** What a confirmed y/n question does. */
export type Pending = { kind: "cancel"; jobId: string; operation: string } | { kind: "stop-worker"; hiveId: string; workerId: string };

export type Modal =
  | { kind: "confirm"; question: string; pending: Pending }
  | { kind: "form"; form: FormKind; title: string; hive: string; fields: Field[]; index: number; error?: string }
  | { kind: "help" }
  | { kind: "detail"; title: string; record: Record<string, unknown> };

/** The dashboard's own state (what the user is looking at), apart from the queen's data. */
export interface UiState {
  view: ViewName;
  /** The selected row's id per view: selection follows the row when lists reorder. */
  selected: Partial<Record<ViewName, string>>;
  showReads: boolean;
  modal?: Modal;
}

export const initialUi: UiState = { view: "hives", selected: {}, showReads: false };

export type UiEvent =
  | { type: "view"; view: ViewName }
  | { type: "select"; view: ViewName; id: string | undefined }
  | { type: "toggle-reads" }
  | { type: "open"; modal: Modal }
  | { type: "close" }
  | { type: "type"; text: string }
  | { type: "backspace" }
  | { type: "next-field" }
  | { type: "form-error"; error: string };

export function uiReducer(state: UiState, event: UiEvent): UiState {
  switch (event.type) {
    case "view":
      return { ...state, view: event.view };
    case "select":
      return { ...state, selected: { ...state.selected, [event.view]: event.id } };
    case "toggle-reads":
      return { ...state, showReads: !state.showReads };
    case "open":
      return { ...state, modal: event.modal };
    case "close":
      return { ...state, modal: undefined };
    case "type":
    case "backspace":
      return editField(state, (v) => (event.type === "type" ? v + event.text : [...v].slice(0, -1).join("")));
    case "next-field": {
      const m = state.modal;
      if (m?.kind !== "form") return state;
      return { ...state, modal: { ...m, index: (m.index + 1) % m.fields.length } };
    }
    case "form-error": {
      const m = state.modal;
      return m?.kind === "form" ? { ...state, modal: { ...m, error: event.error } } : state;
    }
  }
}

function editField(state: UiState, edit: (value: string) => string): UiState {
  const m = state.modal;
  if (m?.kind !== "form") return state;
  const fields = m.fields.map((f, i) => (i === m.index ? { ...f, value: edit(f.value) } : f));
  return { ...state, modal: { ...m, fields, error: undefined } };
}
