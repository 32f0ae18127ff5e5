import { useEffect, useSyncExternalStore } from 'react';
import { areaInfo } from '../domain/areas.js';
import { apiKeyBadgeText, apiKeyWhereText } from '../features/settings/api-key-text.js';
import { applyTheme, systemPrefersDark } from '../lib/theme.js';
import { useStore } from '../store/index.js';

const RUNTIME_LABEL = { electron: 'Desktop app', browser: 'Browser mode' } as const;
const CONNECTION_LABEL = { open: 'Connected', connecting: 'Connecting…', offline: 'Offline' } as const;

function subscribeToScheme(onChange: () => void): () => void {
  if (typeof matchMedia !== 'function') return () => undefined;
  const query = matchMedia('(prefers-color-scheme: dark)');
  query.addEventListener('change', onChange);
  return () => query.removeEventListener('change', onChange);
}

export function TopBar() {
  const area = useStore((s) => s.route.area);
  const info = useStore((s) => s.info);
  const infoError = useStore((s) => s.infoError);
  const connection = useStore((s) => s.connection);
  const theme = useStore((s) => s.theme);
  const setTheme = useStore((s) => s.setTheme);
  // The key's state comes from the settings view, which `settings:changed` keeps current.
  const apiKey = useStore((s) => s.settings?.apiKey ?? null);
  const settingsStatus = useStore((s) => s.settingsStatus);
  const loadSettings = useStore((s) => s.loadSettings);
  useEffect(() => {
    if (settingsStatus === 'idle') void loadSettings();
  }, [settingsStatus, loadSettings]);

  const systemDark = useSyncExternalStore(subscribeToScheme, systemPrefersDark);
  const dark = theme === 'dark' || (theme === 'system' && systemDark);

  return (
    <header className="top-bar">
      <h1 className="top-bar-title">{areaInfo(area).label}</h1>
      <div className="top-bar-meta">
        {info ? (
          <>
            <span
              className={`badge ${info.provider.id === 'simulated' ? 'badge-warn' : 'badge-accent'}`}
              title="Model provider"
            >
              {info.provider.label}
            </span>
            {apiKey ? (
              <span
                className={`badge ${apiKey.set ? '' : 'badge-warn'}`}
                title={apiKey.set ? `API key ${apiKeyWhereText(apiKey)}` : 'No API key: set one in Settings'}
                data-testid="top-bar-api-key"
              >
                {apiKeyBadgeText(apiKey)}
              </span>
            ) : null}
            <span className="badge" title="Runtime">
              {RUNTIME_LABEL[info.runtime]}
            </span>
          </>
        ) : infoError ? (
          <span className="badge badge-danger" title={infoError}>
            Engine information unavailable
          </span>
        ) : null}
        <span
          className={`connection connection-${connection}`}
          role="status"
          aria-label={`Engine: ${CONNECTION_LABEL[connection]}`}
        >
          <span className="connection-dot" aria-hidden="true" />
          {CONNECTION_LABEL[connection]}
        </span>
        <button
          type="button"
          className="btn btn-ghost btn-icon"
          aria-label={dark ? 'Switch to light theme' : 'Switch to dark theme'}
          title={dark ? 'Switch to light theme' : 'Switch to dark theme'}
          onClick={() => {
            const next = dark ? 'light' : 'dark';
            // Applied at once so the toggle feels instant even before React re-renders.
            applyTheme(next);
            setTheme(next);
          }}
        >
          {dark ? '☀' : '☾'}
        </button>
      </div>
    </header>
  );
}
