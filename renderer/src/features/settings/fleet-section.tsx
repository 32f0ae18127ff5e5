import { useId, useState } from 'react';
import type { SettingsView } from '../../../../src/shared/contract/settings.js';
import { REDIS_URL_EXAMPLE } from '../../../../src/shared/validation.js';
import { fleetNote, fleetUrlRequest } from '../../domain/settings-form.js';
import { SectionStatus } from './section-status.js';
import { useSectionSave } from './use-section-save.js';

/** The fleet's Redis: where built-in agents' turns are queued for worker machines; empty is off. */
export function FleetSection({ settings }: { settings: SettingsView }) {
  const { save, saving, saved, error, setError } = useSectionSave('fleetRedisUrl');
  const [value, setValue] = useState(settings.fleet.redisUrl ?? '');
  const ids = useId();
  const note = fleetNote(settings.fleet);
  return (
    <FleetSectionView
      ids={ids}
      value={value}
      onChange={(next) => {
        setValue(next);
        if (error) setError(null);
      }}
      onSubmit={() => {
        const request = fleetUrlRequest(value);
        if (request.error !== null) {
          setError(request.error);
          return;
        }
        void save({ redisUrl: request.redisUrl });
      }}
      inUse={note.inUse}
      pending={note.pending}
      saving={saving}
      saved={saved}
      error={error}
    />
  );
}

export interface FleetSectionViewProps {
  ids: string;
  value: string;
  onChange(value: string): void;
  onSubmit(): void;
  inUse: string;
  pending: string | null;
  saving: boolean;
  saved: boolean;
  error: string | null;
}

/** The section's markup, apart from its state so tests can render each case. */
export function FleetSectionView(props: FleetSectionViewProps) {
  const { ids, value, error } = props;
  return (
    <section className="card settings-card" aria-labelledby={`${ids}-title`}>
      <h3 id={`${ids}-title`} className="card-title">
        Fleet
      </h3>
      <p className="muted settings-intro">
        Built-in agents' turns can run on worker machines (<code>control-room worker --redis URL</code>),
        queued on a Redis. Leave the URL empty to run every turn in this process. A <code>--redis</code> flag
        at start wins over this setting.
      </p>
      <form
        className="settings-row"
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          props.onSubmit();
        }}
      >
        <div className="field settings-grow">
          <label htmlFor={`${ids}-redis`} className="field-label">
            Redis URL
          </label>
          <input
            id={`${ids}-redis`}
            className="input"
            type="text"
            inputMode="url"
            autoComplete="off"
            spellCheck={false}
            placeholder={REDIS_URL_EXAMPLE}
            aria-invalid={error ? true : undefined}
            aria-describedby={`${ids}-redis-hint`}
            value={value}
            onChange={(event) => props.onChange(event.target.value)}
          />
          <div id={`${ids}-redis-hint`} className="field-hint">
            redis://host:port or rediss://host:port; empty = off. Applies at the next start.
          </div>
        </div>
        <button type="submit" className="btn btn-primary" disabled={props.saving}>
          Save Redis URL
        </button>
      </form>
      <p className="muted settings-key-status" role="status">
        {props.inUse}
        {props.pending ? <strong> {props.pending}</strong> : null}
      </p>
      <SectionStatus saving={props.saving} saved={props.saved} error={error} />
    </section>
  );
}
