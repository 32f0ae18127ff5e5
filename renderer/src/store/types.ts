import type { StateCreator } from 'zustand/vanilla';
import type { ControlRoomApi } from '../../../src/shared/contract.js';
import type { ConnectionSource, TransportKind } from '../api/index.js';
import type { Notifier } from '../api/notify.js';
import type { InboxSlice } from './inbox-slice.js';
import type { SettingsSlice } from './settings-slice.js';
import type { AppSlice } from './app-slice.js';
import type { TeamsSlice } from './teams-slice.js';
import type { MissionsSlice } from './missions-slice.js';
import type { AgentsSlice } from './agents-slice.js';
import type { CostsSlice } from './costs-slice.js';
import type { MissionLogSlice } from './mission-log-slice.js';
import type { RuntimesSlice } from './runtimes-slice.js';
import type { FleetSlice } from './fleet-slice.js';

export type StoreState = AppSlice &
  TeamsSlice &
  MissionsSlice &
  AgentsSlice &
  InboxSlice &
  SettingsSlice &
  CostsSlice &
  MissionLogSlice &
  RuntimesSlice &
  FleetSlice;

/** What the store needs from the outside world; tests pass fakes. */
export interface StoreDeps {
  api: ControlRoomApi;
  connection: ConnectionSource;
  transport: TransportKind;
  newId: () => string;
  /** `type` is the file's MIME type (JSON when left out). */
  saveFile: (fileName: string, text: string, type?: string) => void;
  /** Mirrors the route into the address bar (a no-op in tests). */
  writeHash: (hash: string, replace: boolean) => void;
  loadTheme: () => ThemePreference;
  storeTheme: (theme: ThemePreference) => void;
  /** System notifications for new escalations; none when absent. */
  notifier?: Notifier;
  /** The inbox's seen escalation ids (local storage); nothing is remembered when absent. */
  loadSeen?: () => string[];
  storeSeen?: (ids: string[]) => void;
}

export type ThemePreference = 'system' | 'light' | 'dark';

export type Slice<T> = (deps: StoreDeps) => StateCreator<StoreState, [], [], T>;
