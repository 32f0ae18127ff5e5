import { createContext, useContext, type ReactNode } from 'react';
import { useStore as useZustandStore } from 'zustand';
import type { ControlRoomStore } from './store.js';
import type { StoreState } from './state.js';

export { createControlRoomStore, type ControlRoomStore } from './store.js';
export type * from './state.js';
export type { LoadStatus, Notice, StoreDeps, ThemePreference } from './types.js';
export { isDirty } from './teams-slice.js';
export { visibleInboxItems } from './inbox-slice.js';
export { entityKey, missionSpent } from './missions-slice.js';
export { selectAgentKeys } from './agents-slice.js';
export { runtimeProblem } from './runtimes-slice.js';
export { changeReviewKey } from './reviews-slice.js';

const StoreContext = createContext<ControlRoomStore | null>(null);

export function StoreProvider({ store, children }: { store: ControlRoomStore; children: ReactNode }) {
  return <StoreContext.Provider value={store}>{children}</StoreContext.Provider>;
}

/** Reads a slice of the store; pass a `useShallow` selector for derived arrays or objects. */
export function useStore<T>(selector: (state: StoreState) => T): T {
  const store = useContext(StoreContext);
  if (!store) throw new Error('useStore must be used inside <StoreProvider>');
  return useZustandStore(store, selector);
}
