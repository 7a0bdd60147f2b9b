import type { WorkerInfo } from "../src/hive/worker-process.ts";
import { describeZodError } from "../src/http/errors.ts";
import { isFinished, type JobInfo } from "../src/protocol/jobs.ts";
import { Operation } from "../src/protocol/operations.ts";
import type { KeyBinding, KeyContext, ViewName } from "./keys.ts";
import type { DashboardState, DashboardStore, ModelRow } from "./store.ts";
import type { Field, FormKind, Modal, UiEvent, UiState } from "./ui-state.ts";
import type { DeviceRow } from "./views/devices.ts";
import type { HiveRow } from "./views/hives.ts";
import { selectedIndex, viewData, VIEWS, type ViewData } from "./views/index.ts";

/** What a key handler may touch: the UI state, the live store, and the way out. */
export interface ActionEnv {
  ui: UiState;
  state: DashboardState;
  store: DashboardStore;
  dispatch: (event: UiEvent) => void;
  exit: () => void;
}

/** The current view's rows and the selected one. */
export function selection(ui: UiState, state: DashboardState): { data: ViewData; index: number; row: unknown } {
  const data = viewData(ui.view, state, ui.showReads);
  const index = selectedIndex(data, ui.selected[ui.view]);
  return { data, index, row: index >= 0 ? data.rows[index] : undefined };
}

export function keyContext(ui: UiState, state: DashboardState): KeyContext {
  const { row } = selection(ui, state);
  const mode = !ui.modal ? "browse" : ui.modal.kind === "help" || ui.modal.kind === "detail" ? "overlay" : ui.modal.kind;
  return {
    mode,
    view: ui.view,
    hasRow: row !== undefined,
    jobRunning: ui.view === "jobs" && row !== undefined && !isFinished((row as JobInfo).state),
    workerLive: ui.view === "workers" && row !== undefined && !["stopped", "failed"].includes((row as WorkerInfo).state),
  };
}

export function runAction(binding: KeyBinding, input: string, env: ActionEnv): void {
  const { ui, state, store, dispatch } = env;
  const { data, index, row } = selection(ui, state);
  const move = (delta: number) => {
    if (!data.rows.length) return;
    const next = Math.max(0, Math.min(data.rows.length - 1, index + delta));
    dispatch({ type: "select", view: ui.view, id: data.table.idOf(data.rows[next]) });
  };
  switch (binding.action) {
    case "view":
      return dispatch({ type: "view", view: VIEWS[Number(input) - 1] ?? ui.view });
    case "next-view":
      return dispatch({ type: "view", view: VIEWS[(VIEWS.indexOf(ui.view) + 1) % VIEWS.length] });
    case "up":
      return move(-1);
    case "down":
      return move(1);
    case "open":
      return dispatch({ type: "open", modal: { kind: "detail", title: `${data.table.title.replace(/s$/, "")} ${data.table.idOf(row)}`, record: row as Record<string, unknown> } });
    case "log": {
      const job = row as JobInfo;
      return store.openLog(job.job_id, job.operation);
    }
    case "cancel": {
      const job = row as JobInfo;
      return dispatch({ type: "open", modal: { kind: "confirm", question: `Cancel ${job.operation} job ${job.job_id}?`, pending: { kind: "cancel", jobId: job.job_id, operation: job.operation } } });
    }
    case "stop-worker": {
      const w = row as WorkerInfo;
      return dispatch({ type: "open", modal: { kind: "confirm", question: `Stop worker ${w.worker_id} (${w.model}) on ${w.hive_id}?`, pending: { kind: "stop-worker", hiveId: w.hive_id, workerId: w.worker_id } } });
    }
    case "toggle-reads":
      return dispatch({ type: "toggle-reads" });
    case "infer":
    case "spawn":
    case "download":
      return dispatch({ type: "open", modal: newForm(binding.action, ui.view, row, state) });
    case "help":
      return dispatch({ type: "open", modal: { kind: "help" } });
    case "quit":
      return env.exit();
    case "yes":
      return confirm(env);
    case "no":
    case "close":
      return dispatch({ type: "close" });
    case "next-field":
      return dispatch({ type: "next-field" });
    case "submit":
      return submitForm(env);
  }
}

function confirm({ ui, store, dispatch }: ActionEnv): void {
  if (ui.modal?.kind !== "confirm") return;
  const p = ui.modal.pending;
  dispatch({ type: "close" });
  if (p.kind === "cancel") void store.cancel(p.jobId);
  else void store.submit({ operation: "worker_stop", hive_id: p.hiveId, worker_id: p.workerId });
}

/** The hive the selection is about, if any (a hive row, or the hive of a worker or model). */
function contextHive(view: ViewName, row: unknown): string | undefined {
  if (!row) return undefined;
  if (view === "hives") return (row as HiveRow).id;
  if (view === "workers") return (row as WorkerInfo).hive_id;
  if (view === "models") return (row as ModelRow).hive_id;
  if (view === "devices") return (row as DeviceRow).hive_id;
  return undefined;
}

function contextModel(view: ViewName, row: unknown, state: DashboardState): string {
  if (view === "models" && row) return (row as ModelRow).id;
  if (view === "workers" && row) return (row as WorkerInfo).model;
  return state.models[0]?.id ?? "";
}

export function newForm(kind: FormKind, view: ViewName, row: unknown, state: DashboardState): Modal {
  const hive = contextHive(view, row);
  const model: Field = { name: "model", label: "model", value: contextModel(view, row, state), placeholder: "a model id (see view 3)" };
  switch (kind) {
    case "infer":
      return { kind: "form", form: kind, title: `Infer${hive ? ` on ${hive}` : ""}`, hive: hive ?? "", index: model.value ? 1 : 0, fields: [model, { name: "prompt", label: "prompt", value: "", placeholder: "what to say" }] };
    case "spawn":
      return { kind: "form", form: kind, title: `Spawn a worker on ${hive ?? "localhost"}`, hive: hive ?? "localhost", index: 0, fields: [model] };
    case "download":
      return {
        kind: "form",
        form: kind,
        title: `Download a model to ${hive ?? "localhost"}`,
        hive: hive ?? "localhost",
        index: 0,
        fields: [{ name: "source", label: "source", value: "", placeholder: "demo:tiny, hf:ORG/REPO, https://…/x.gguf" }],
      };
  }
}

/** The operation a filled form asks for, or why it cannot be sent yet. */
export function formOperation(modal: Extract<Modal, { kind: "form" }>): { op: Operation } | { error: string } {
  const v = Object.fromEntries(modal.fields.map((f) => [f.name, f.value.trim()]));
  const missing = modal.fields.find((f) => !v[f.name]);
  if (missing) return { error: `${missing.label} is required` };
  const raw =
    modal.form === "infer"
      ? { operation: "infer", model: v.model, prompt: v.prompt, ...(modal.hive ? { hive_id: modal.hive } : {}) }
      : modal.form === "spawn"
        ? { operation: "worker_spawn", hive_id: modal.hive, model: v.model }
        : { operation: "model_download", hive_id: modal.hive, model: v.source };
  const parsed = Operation.safeParse(raw);
  return parsed.success ? { op: parsed.data } : { error: describeZodError(parsed.error) };
}

function submitForm({ ui, store, dispatch }: ActionEnv): void {
  const m = ui.modal;
  if (m?.kind !== "form") return;
  if (m.index < m.fields.length - 1) return dispatch({ type: "next-field" });
  const result = formOperation(m);
  if ("error" in result) return dispatch({ type: "form-error", error: result.error });
  dispatch({ type: "close" });
  void store.submit(result.op);
}
