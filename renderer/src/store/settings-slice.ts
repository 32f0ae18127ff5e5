import type { SettingsView } from '../../../src/shared/contract/settings.js';
import type { SettingsCommands, SettingsSlice, Slice } from './state.js';

const COMMAND_OF: SettingsCommands = {
  provider: 'settings:set-provider',
  apiKey: 'settings:set-api-key',
  poolLimits: 'settings:set-pool-limits',
  priceTable: 'settings:set-price-table',
  idleTimeout: 'settings:set-idle-timeout',
  keepBranches: 'settings:set-keep-branches',
  alertThresholds: 'settings:set-alert-thresholds',
  fleetRedisUrl: 'settings:set-fleet-redis-url',
  githubToken: 'settings:set-github-token',
  apiBaseUrl: 'settings:set-api-base-url',
};

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
