import { useCallback, useRef, useState } from "react";
import { initialUi, uiReducer, type UiEvent, type UiState } from "../ui-state.ts";

/**
 * UI state whose latest value is readable at once: several keys can arrive before React
 * renders again, and each must act on the state the previous one left.
 */
export function useUiState(initial: UiState = initialUi): [UiState, (event: UiEvent) => void, () => UiState] {
  const ref = useRef(initial);
  const [, render] = useState(0);
  const dispatch = useCallback((event: UiEvent) => {
    ref.current = uiReducer(ref.current, event);
    render((n) => n + 1);
  }, []);
  const get = useCallback(() => ref.current, []);
  return [ref.current, dispatch, get];
}
