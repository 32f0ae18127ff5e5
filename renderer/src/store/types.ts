import type { ControlRoomApi } from '../../../src/shared/contract.js';
import type { ConnectionSource, TransportKind } from '../api/index.js';
import type { Notifier } from '../api/notify.js';
import type { ThemePreference } from '../lib/theme.js';

// The words every slice shares. This file imports no slice, so any store file can use it
// without an import cycle; the slices' own shapes are in state.ts.

export type { ThemePreference };

export type LoadStatus = 'idle' | 'loading' | 'ready' | 'error';

/** What an action did, for its page's notice bar. */
export interface Notice {
  tone: 'success' | 'error';
  text: string;
}

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
