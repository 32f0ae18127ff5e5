import { useEffect, useId } from 'react';
import { useStore, type ThemePreference } from '../../store/index.js';
import { PageHeader } from '../../ui/page-header.js';
import { AlertsSection, IdleTimeoutSection, KeepBranchesSection } from './behaviour-section.js';
import { FleetSection } from './fleet-section.js';
import { GithubSection } from './github-section.js';
import { LimitsSection } from './limits-section.js';
import { PricesSection } from './prices-section.js';
import { ProviderSection } from './provider-section.js';
import './settings.css';

const THEMES: { value: ThemePreference; label: string }[] = [
  { value: 'system', label: 'Match the system' },
  { value: 'light', label: 'Light' },
  { value: 'dark', label: 'Dark' },
];

export function SettingsPage() {
  const info = useStore((s) => s.info);
  const infoStatus = useStore((s) => s.infoStatus);
  const infoError = useStore((s) => s.infoError);
  const transport = useStore((s) => s.transport);
  const theme = useStore((s) => s.theme);
  const setTheme = useStore((s) => s.setTheme);
  const loadInfo = useStore((s) => s.loadInfo);
  const themeLabel = useId();
  const settings = useStore((s) => s.settings);
  const settingsStatus = useStore((s) => s.settingsStatus);
  const settingsError = useStore((s) => s.settingsError);
  const loadSettings = useStore((s) => s.loadSettings);
  useEffect(() => {
    if (settingsStatus === 'idle') void loadSettings();
  }, [settingsStatus, loadSettings]);

  return (
    <div className="page">
      <PageHeader title="Settings" subtitle="The model provider and its key, rate limits, prices, idle agents, alerts, the fleet, and how Control Room looks." />

      <section className="card" aria-labelledby="settings-about">
        <h3 id="settings-about" className="card-title">
          About
        </h3>
        {info ? (
          <dl className="info-list">
            <dt>Version</dt>
            <dd>{info.version}</dd>
            <dt>Runtime</dt>
            <dd>
              {info.runtime === 'electron' ? 'Desktop app (Electron)' : 'Browser mode'} on {info.platform}
            </dd>
            <dt>Connection</dt>
            <dd>{transport === 'ipc' ? 'Electron IPC' : 'WebSocket to the local engine'}</dd>
            <dt>Model provider</dt>
            <dd>{info.provider.label}</dd>
            <dt>Data folder</dt>
            <dd>
              <code>{info.dataDir}</code>
            </dd>
            <dt>Database</dt>
            <dd>
              <code>{info.databasePath}</code>
            </dd>
          </dl>
        ) : infoStatus === 'error' ? (
          <div className="inline-error" role="alert">
            <span>Could not load application information: {infoError}</span>
            <button type="button" className="btn btn-small" onClick={() => void loadInfo()}>
              Try again
            </button>
          </div>
        ) : (
          <p className="muted" role="status">
            Loading…
          </p>
        )}
      </section>

      {settings ? (
        <>
          <ProviderSection settings={settings} />
          {/* Keyed by the saved values: a save here or in another window resets the form to them. */}
          <LimitsSection key={JSON.stringify(settings.poolLimits)} settings={settings} />
          <PricesSection settings={settings} />
          <IdleTimeoutSection key={`idle-${settings.idleTimeoutSec}`} settings={settings} />
          <KeepBranchesSection settings={settings} />
          <AlertsSection key={JSON.stringify(settings.alertThresholds)} settings={settings} />
          <FleetSection key={`fleet-${settings.fleet.redisUrl ?? ''}`} settings={settings} />
          <GithubSection settings={settings} />
        </>
      ) : settingsStatus === 'error' ? (
        <div className="inline-error" role="alert">
          <span>Could not load the settings: {settingsError}</span>
          <button type="button" className="btn btn-small" onClick={() => void loadSettings()}>
            Try again
          </button>
        </div>
      ) : (
        <p className="muted" role="status">
          Loading settings…
        </p>
      )}

      <section className="card" aria-labelledby="settings-appearance">
        <h3 id="settings-appearance" className="card-title">
          Appearance
        </h3>
        <div role="radiogroup" aria-labelledby={themeLabel} className="segmented">
          <span id={themeLabel} className="field-label">
            Theme
          </span>
          {THEMES.map((option) => (
            <label key={option.value} className="segmented-option">
              <input
                type="radio"
                name="theme"
                value={option.value}
                checked={theme === option.value}
                onChange={() => setTheme(option.value)}
              />
              {option.label}
            </label>
          ))}
        </div>
      </section>
    </div>
  );
}
