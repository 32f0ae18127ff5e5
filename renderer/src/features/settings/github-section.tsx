import { useId, useState } from 'react';
import type { SettingsView } from '../../../../src/shared/contract/settings.js';
import { githubTokenShapeProblem } from '../../../../src/shared/pull-request.js';
import { SectionStatus } from './section-status.js';
import { useSectionSave } from './use-section-save.js';

/**
 * The GitHub token pull requests are opened with. Sent once to the engine, which keeps it
 * like the API key; this window only ever sees whether one is set and its last four characters.
 */
export function GithubSection({ settings }: { settings: SettingsView }) {
  const token = useSectionSave('githubToken');
  const [value, setValue] = useState('');
  const ids = useId();
  const github = settings.github;
  return (
    <section className="card settings-card" aria-labelledby={`${ids}-title`}>
      <h3 id={`${ids}-title`} className="card-title">
        GitHub
      </h3>
      <p className="muted settings-intro">
        A mission can end in a pull request: its branch is pushed to a remote of the repository and a pull request
        opened with its result. With a token (fine-grained, with "Pull requests: read and write" on the repository)
        it goes through GitHub's API; without one, through the <code>gh</code> command where it is installed and
        logged in. The push uses your own git credentials.
      </p>
      <p className="settings-key-status" data-testid="github-token-status">
        {github.set ? (
          <>
            <code>{github.masked}</code>{' '}
            <span className="muted">{github.volatile ? 'kept until the engine stops' : 'kept by the engine'}</span>
          </>
        ) : (
          <span className="muted">No token set.</span>
        )}
      </p>
      <form
        className="settings-row"
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          const trimmed = value.trim();
          if (trimmed === '') {
            token.setError('GitHub token: paste a token first');
            return;
          }
          // The engine checks too; asking here first keeps a wrong paste from ever leaving the window.
          const problem = githubTokenShapeProblem(trimmed);
          if (problem) {
            token.setError(`GitHub token: ${problem}`);
            return;
          }
          void token.save({ token: trimmed }).then((ok) => ok && setValue(''));
        }}
      >
        <div className="field settings-grow">
          <label htmlFor={`${ids}-token`} className="field-label">
            {github.set ? 'Replace the token' : 'GitHub token'}
          </label>
          <input
            id={`${ids}-token`}
            className="input"
            type="password"
            autoComplete="off"
            spellCheck={false}
            placeholder="github_pat_… or ghp_…"
            aria-invalid={token.error ? true : undefined}
            value={value}
            onChange={(event) => {
              setValue(event.target.value);
              if (token.error) token.setError(null);
            }}
          />
          <div className="field-hint">Sent once to the engine; this window never sees it again.</div>
        </div>
        <button type="submit" className="btn btn-primary" disabled={token.saving}>
          Save token
        </button>
        {github.set ? (
          <button type="button" className="btn btn-danger-ghost" disabled={token.saving} onClick={() => void token.save({ token: null })}>
            Remove token
          </button>
        ) : null}
      </form>
      <SectionStatus saving={token.saving} saved={token.saved} error={token.error} />
    </section>
  );
}
