import type { CommandRequest } from '../../../src/shared/contract.js';
import type { SettingsView } from '../../../src/shared/contract/settings.js';
import type { LoadStatus } from './app-slice.js';
import type { Slice } from './types.js';

/** The Settings sections that save on their own. */
export type SettingsSection =
  | 'provider'
  | 'apiKey'
  | 'poolLimits'
  | 'priceTable'
  | 'idleTimeout'
  | 'alertThresholds'
  | 'fleetRedisUrl';

const COMMAND_OF = {
  provider: 'settings:set-provider',
  apiKey: 'settings:set-api-key',
  poolLimits: 'settings:set-pool-limits',
  priceTable: 'settings:set-price-table',
  idleTimeout: 'settings:set-idle-timeout',
  alertThresholds: 'settings:set-alert-thresholds',
  fleetRedisUrl: 'settings:set-fleet-redis-url',
} as const satisfies Record<SettingsSection, string>;

/** What each section sends. */
export type SettingsRequests = { [S in SettingsSection]: CommandRequest<(typeof COMMAND_OF)[S]> };

export interface SettingsSaveOutcome {
  ok: boolean;
  /** The engine's message, which names the field. */
  error?: string;
}

export interface SettingsSlice {
  settings: SettingsView | null;
  settingsStatus: LoadStatus;
  settingsError: string | null;
  /** The section with a save in flight. */
  settingsSaving: SettingsSection | null;
  /** The last section saved successfully, for its "Saved" note. */
  settingsSaved: SettingsSection | null;
  loadSettings(): Promise<void>;
  saveSetting<S extends SettingsSection>(section: S, request: SettingsRequests[S]): Promise<SettingsSaveOutcome>;
}

export const createSettingsSlice: Slice<SettingsSlice> = (deps) => (set, get) => {
  let loadRequest = 0;
  deps.api.on('settings:changed', (view) => set({ settings: view }));
  deps.connection.subscribe((state) => {
    if (state === 'open' && get().settingsStatus !== 'idle') void get().loadSettings();
  });

  return {
    settings: null,
    settingsStatus: 'idle',
    settingsError: null,
    settingsSaving: null,
    settingsSaved: null,

    async loadSettings() {
      const request = ++loadRequest;
      if (get().settingsStatus !== 'ready') set({ settingsStatus: 'loading', settingsError: null });
      const result = await deps.api.invoke('settings:get', {});
      if (request !== loadRequest) return;
      if (result.ok) set({ settings: result.data, settingsStatus: 'ready', settingsError: null });
      else set({ settingsStatus: 'error', settingsError: result.error.message });
    },

    async saveSetting(section, request) {
      set({ settingsSaving: section, settingsSaved: null });
      const result = await deps.api.invoke(COMMAND_OF[section], request as never);
      set({ settingsSaving: null });
      if (!result.ok) return { ok: false, error: result.error.message };
      // The provider's name in the top bar comes from the app info.
      if (section === 'provider' || section === 'apiKey') void get().loadInfo();
      set({ settings: result.data as SettingsView, settingsSaved: section });
      return { ok: true };
    },
  };
};
