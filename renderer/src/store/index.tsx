import { createContext, useContext, type ReactNode } from 'react';
import { useStore as useZustandStore } from 'zustand';
import type { ControlRoomStore } from './store.js';
import type { StoreState } from './types.js';

export { createControlRoomStore, type ControlRoomStore } from './store.js';
export { isDirty, type EditorState, type Notice, type TeamFileInput } from './teams-slice.js';
export type { StoreDeps, StoreState, ThemePreference } from './types.js';
export type { LoadStatus } from './app-slice.js';
export { AREAS, type Area, type Route } from '../domain/route.js';
export { visibleInboxItems, type DecideOptions } from './inbox-slice.js';
export type { SettingsRequests, SettingsSection } from './settings-slice.js';
export { entityKey, missionSpent, type MissionAction, type MissionDetailState } from './missions-slice.js';
export { selectAgentKeys, type AgentDetailState } from './agents-slice.js';
export type { CostsSlice } from './costs-slice.js';
export type { MissionLogState } from './mission-log-slice.js';
export { runtimeProblem } from './runtimes-slice.js';

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
