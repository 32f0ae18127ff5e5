import { useId, useState } from 'react';
import type { ProviderId } from '../../../../src/shared/contract/app.js';
import { apiKeyShapeProblem, type SettingsView } from '../../../../src/shared/contract/settings.js';
import { DEFAULT_API_BASE_URL } from '../../../../src/shared/api-base-url.js';
import { apiBaseUrlInUseText, apiBaseUrlRequest } from './api-base-url-text.js';
import { apiKeySavedText, apiKeyWhereText } from './api-key-text.js';
import { SectionStatus } from './section-status.js';
import { useSectionSave } from './use-section-save.js';

const PROVIDERS = [
  { id: 'simulated', label: 'Simulated provider', hint: 'Plays leaders, coders and reviewers locally. Free, no key needed.' },
  { id: 'anthropic', label: 'Anthropic API', hint: 'Real Claude models, billed to the account of the API key.' },
] as const;

export function ProviderSection({ settings }: { settings: SettingsView }) {
  const provider = useSectionSave('provider');
  const apiKey = useSectionSave('apiKey');
  const [key, setKey] = useState('');
  // The choice shows at once; the engine's answer (or refusal) settles it.
  const [pending, setPending] = useState<ProviderId | null>(null);
  const ids = useId();
  const fromEnv = settings.apiKey.source === 'env';

  return (
    <section className="card settings-card" aria-labelledby={`${ids}-provider`}>
      <h3 id={`${ids}-provider`} className="card-title">
        Model provider
      </h3>
      <div role="radiogroup" aria-labelledby={`${ids}-provider`} className="settings-options">
        {PROVIDERS.map((p) => (
          <label key={p.id} className="settings-option">
            <input
              type="radio"
              name="provider"
              value={p.id}
              checked={(pending ?? settings.provider) === p.id}
              disabled={provider.saving}
              onChange={() => {
                setPending(p.id);
                void provider.save({ provider: p.id }).finally(() => setPending(null));
              }}
            />
            <span>
              <strong>{p.label}</strong>
              <span className="muted settings-option-hint">{p.hint}</span>
            </span>
          </label>
        ))}
      </div>
      <SectionStatus {...provider} />

      <h4 className="settings-subtitle" id={`${ids}-key`}>
        API key
      </h4>
      <p className="settings-key-status" data-testid="api-key-status">
        {settings.apiKey.set ? (
          <>
            <code>{settings.apiKey.masked}</code>{' '}
            <span className="muted">{apiKeyWhereText(settings.apiKey)}</span>
          </>
        ) : (
          <span className="muted">No key set.</span>
        )}
      </p>
      {fromEnv ? (
        <p className="muted">To change it, change the environment variable and restart the engine.</p>
      ) : (
        <form
          className="settings-row"
          onSubmit={(event) => {
            event.preventDefault();
            if (key.trim() === '') {
              apiKey.setError('API key: paste a key first');
              return;
            }
            // The engine checks too; asking here first keeps a wrong paste from ever leaving the window.
            const problem = apiKeyShapeProblem(key.trim());
            if (problem) {
              apiKey.setError(`API key: ${problem}`);
              return;
            }
            void apiKey.save({ apiKey: key }).then((ok) => ok && setKey(''));
          }}
        >
          <div className="field settings-grow">
            <label htmlFor={`${ids}-key-input`} className="field-label">
              {settings.apiKey.set ? 'Replace the key' : 'Anthropic API key'}
            </label>
            <input
              id={`${ids}-key-input`}
              className="input"
              type="password"
              autoComplete="off"
              spellCheck={false}
              placeholder="sk-ant-…"
              value={key}
              onChange={(event) => setKey(event.target.value)}
            />
            <div className="field-hint">Sent once to the engine; this window never sees it again.</div>
          </div>
          <button type="submit" className="btn btn-primary" disabled={apiKey.saving}>
            Save key
          </button>
          {settings.apiKey.set ? (
            <button type="button" className="btn btn-danger-ghost" disabled={apiKey.saving} onClick={() => void apiKey.save({ apiKey: null })}>
              Remove key
            </button>
          ) : null}
        </form>
      )}
      <SectionStatus {...apiKey} savedText={apiKeySavedText(settings.apiKey)} />
      <ApiBaseUrlField settings={settings} />
    </section>
  );
}

/** The upstream: where the Anthropic provider's calls (Claude Code's too, through the gateway) are sent. */
function ApiBaseUrlField({ settings }: { settings: SettingsView }) {
  const { save, saving, saved, error, setError } = useSectionSave('apiBaseUrl');
  const [value, setValue] = useState(settings.apiBaseUrl.saved ?? '');
  const ids = useId();
  return (
    <div role="group" aria-labelledby={`${ids}-title`}>
      <h4 className="settings-subtitle" id={`${ids}-title`}>
        API base URL
      </h4>
      <p className="muted" data-testid="api-base-url-in-use">
        {apiBaseUrlInUseText(settings.apiBaseUrl, settings.provider)}
      </p>
      <form
        className="settings-row"
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          const request = apiBaseUrlRequest(value);
          if (request.error !== null) {
            setError(request.error);
            return;
          }
          void save({ apiBaseUrl: request.apiBaseUrl }).then((ok) => ok && setValue(request.apiBaseUrl ?? ''));
        }}
      >
        <div className="field settings-grow">
          <label htmlFor={`${ids}-input`} className="field-label">
            Base URL (an API gateway or proxy)
          </label>
          <input
            id={`${ids}-input`}
            className="input"
            type="text"
            inputMode="url"
            autoComplete="off"
            spellCheck={false}
            placeholder={DEFAULT_API_BASE_URL}
            value={value}
            onChange={(event) => {
              setValue(event.target.value);
              if (error) setError(null);
            }}
          />
          <div className="field-hint">
            Empty: the ANTHROPIC_BASE_URL environment variable, else the public API. Applies to calls from now on; no
            user or password in it (the key is the API key).
          </div>
        </div>
        <button type="submit" className="btn btn-primary" disabled={saving}>
          Save URL
        </button>
      </form>
      <SectionStatus saving={saving} saved={saved} error={error} />
    </div>
  );
}
