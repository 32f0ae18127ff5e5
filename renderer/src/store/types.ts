import type { StateCreator } from 'zustand/vanilla';
import type { ControlRoomApi } from '../../../src/shared/contract.js';
import type { ConnectionSource, TransportKind } from '../api/index.js';
import type { AppSlice } from './app-slice.js';
import type { TeamsSlice } from './teams-slice.js';

export type StoreState = AppSlice & TeamsSlice;

/** What the store needs from the outside world; tests pass fakes. */
export interface StoreDeps {
  api: ControlRoomApi;
  connection: ConnectionSource;
  transport: TransportKind;
  newId: () => string;
  saveFile: (fileName: string, text: string) => void;
  /** Mirrors the route into the address bar (a no-op in tests). */
  writeHash: (hash: string, replace: boolean) => void;
  loadTheme: () => ThemePreference;
  storeTheme: (theme: ThemePreference) => void;
}

export type ThemePreference = 'system' | 'light' | 'dark';

export type Slice<T> = (deps: StoreDeps) => StateCreator<StoreState, [], [], T>;
