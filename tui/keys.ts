import type { Key } from "ink";

/**
 * Every key the dashboard understands, as ONE table: the hint bar, the help screen and the
 * input handler all read it, so a key cannot work without being shown (or the reverse).
 * `when` names the situation the key applies in; the first matching row wins.
 */
export type Action =
  | "view"
  | "next-view"
  | "up"
  | "down"
  | "open"
  | "log"
  | "infer"
  | "spawn"
  | "download"
  | "cancel"
  | "stop-worker"
  | "toggle-reads"
  | "help"
  | "quit"
  | "yes"
  | "no"
  | "submit"
  | "next-field"
  | "close";

export type When = "browse" | "row" | "job" | "running-job" | "live-worker" | "jobs-view" | "confirm" | "form" | "overlay";

/** A key name: a printable character, or one of Ink's named keys. */
export type KeyName = string | "up" | "down" | "return" | "tab" | "escape";

export interface KeyBinding {
  /** How the hint bar and help screen show the key. */
  key: string;
  /** What the user presses. */
  inputs: KeyName[];
  label: string;
  action: Action;
  when: When;
}

export const KEYS: readonly KeyBinding[] = [
  { key: "1-5", inputs: ["1", "2", "3", "4", "5"], label: "views", action: "view", when: "browse" },
  { key: "tab", inputs: ["tab"], label: "next view", action: "next-view", when: "browse" },
  { key: "↑/k", inputs: ["up", "k"], label: "up", action: "up", when: "browse" },
  { key: "↓/j", inputs: ["down", "j"], label: "down", action: "down", when: "browse" },
  { key: "⏎", inputs: ["return"], label: "open", action: "open", when: "row" },
  { key: "l", inputs: ["l"], label: "log", action: "log", when: "job" },
  { key: "c", inputs: ["c"], label: "cancel", action: "cancel", when: "running-job" },
  { key: "x", inputs: ["x"], label: "stop", action: "stop-worker", when: "live-worker" },
  { key: "a", inputs: ["a"], label: "all jobs", action: "toggle-reads", when: "jobs-view" },
  { key: "i", inputs: ["i"], label: "infer", action: "infer", when: "browse" },
  { key: "s", inputs: ["s"], label: "spawn", action: "spawn", when: "browse" },
  { key: "d", inputs: ["d"], label: "download", action: "download", when: "browse" },
  { key: "?", inputs: ["?"], label: "help", action: "help", when: "browse" },
  { key: "q", inputs: ["q"], label: "quit", action: "quit", when: "browse" },
  { key: "y", inputs: ["y"], label: "yes", action: "yes", when: "confirm" },
  { key: "n/esc", inputs: ["n", "escape"], label: "no", action: "no", when: "confirm" },
  { key: "⏎", inputs: ["return"], label: "next/submit", action: "submit", when: "form" },
  { key: "tab", inputs: ["tab"], label: "next field", action: "next-field", when: "form" },
  { key: "esc", inputs: ["escape"], label: "cancel", action: "close", when: "form" },
  { key: "esc/q", inputs: ["escape", "q"], label: "close", action: "close", when: "overlay" },
];

/** What a `when` means, for the help screen. */
export const WHEN_TEXT: Record<When, string> = {
  browse: "anywhere",
  row: "on a selected row",
  job: "on a job",
  "running-job": "on a running job",
  "live-worker": "on a worker",
  "jobs-view": "in the jobs view",
  confirm: "in a y/n question",
  form: "in a form",
  overlay: "in help or details",
};

export type Mode = "browse" | "confirm" | "form" | "overlay";
export type ViewName = "hives" | "workers" | "models" | "jobs" | "devices";

/** What the keys are judged against: the mode, the view and the selected row. */
export interface KeyContext {
  mode: Mode;
  view: ViewName;
  hasRow: boolean;
  /** The selected job has not finished. */
  jobRunning?: boolean;
  /** The selected worker is not stopped. */
  workerLive?: boolean;
}

export function whenHolds(when: When, ctx: KeyContext): boolean {
  const browse = ctx.mode === "browse";
  switch (when) {
    case "browse":
      return browse;
    case "row":
      return browse && ctx.hasRow;
    case "job":
      return browse && ctx.view === "jobs" && ctx.hasRow;
    case "running-job":
      return browse && ctx.view === "jobs" && ctx.hasRow && !!ctx.jobRunning;
    case "live-worker":
      return browse && ctx.view === "workers" && ctx.hasRow && !!ctx.workerLive;
    case "jobs-view":
      return browse && ctx.view === "jobs";
    case "confirm":
    case "form":
    case "overlay":
      return ctx.mode === when;
  }
}

/** The key names one keypress stands for (Ink reports named keys as flags). */
export function keyNames(input: string, key: Partial<Key>): KeyName[] {
  const names: KeyName[] = [];
  if (key.upArrow) names.push("up");
  if (key.downArrow) names.push("down");
  if (key.return) names.push("return");
  if (key.tab) names.push("tab");
  if (key.escape) names.push("escape");
  if (input && !key.ctrl && !key.meta) names.push(input);
  return names;
}

/** The binding a keypress triggers in this context, if any. */
export function bindingFor(input: string, key: Partial<Key>, ctx: KeyContext): KeyBinding | undefined {
  const names = keyNames(input, key);
  return KEYS.find((b) => whenHolds(b.when, ctx) && b.inputs.some((i) => names.includes(i)));
}

/** The bindings to show now, in table order (one entry per shown key). */
export function activeBindings(ctx: KeyContext): KeyBinding[] {
  return KEYS.filter((b) => whenHolds(b.when, ctx));
}
