import { useSyncExternalStore } from "react";
import type { DashboardState, DashboardStore } from "../store.ts";

/** The store's latest snapshot; re-renders when it publishes a new one. */
export function useDashboard(store: DashboardStore): DashboardState {
  return useSyncExternalStore(store.subscribe, store.getSnapshot, store.getSnapshot);
}
