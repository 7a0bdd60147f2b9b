import type { ViewName } from "../keys.ts";
import type { DashboardState } from "../store.ts";
import type { ResourceTable } from "./columns.ts";
import { devicesTable } from "./devices.ts";
import { hiveRows, hivesTable } from "./hives.ts";
import { jobRows, jobsTable } from "./jobs.ts";
import { modelsTable } from "./models.ts";
import { workersTable } from "./workers.ts";

export const VIEWS: readonly ViewName[] = ["hives", "workers", "models", "jobs", "devices"];

export interface ViewData<T = unknown> {
  table: ResourceTable<T>;
  rows: T[];
}

/** The table and rows a view shows for the current state. */
export function viewData(view: ViewName, state: DashboardState, showReads: boolean): ViewData {
  switch (view) {
    case "hives":
      return { table: hivesTable, rows: hiveRows(state.hives, state.workers) } as ViewData;
    case "workers":
      return { table: workersTable, rows: state.workers } as ViewData;
    case "models":
      return { table: modelsTable, rows: state.models } as ViewData;
    case "jobs":
      return { table: jobsTable, rows: jobRows(state.jobs, showReads) } as ViewData;
    case "devices":
      return { table: devicesTable, rows: state.devices } as ViewData;
  }
}

/** The selected row's index: the remembered id if still listed, else the first row. */
export function selectedIndex(data: ViewData, selectedId: string | undefined): number {
  if (!data.rows.length) return -1;
  const i = selectedId === undefined ? -1 : data.rows.findIndex((r) => data.table.idOf(r) === selectedId);
  return i < 0 ? 0 : i;
}
