import { useId, useState } from 'react';
import type { SettingsView } from '../../../../src/shared/contract/settings.js';
import { THRESHOLD_FIELDS, formToThresholds, parseWhole, thresholdsToForm, type FieldErrors, type ThresholdsForm } from '../../domain/settings-form.js';
import { FieldErrorList, SectionStatus } from './section-status.js';
import { useSectionSave } from './use-section-save.js';

const UNIT: Record<(typeof THRESHOLD_FIELDS)[number]['unit'], string> = { percent: '%', ms: 'ms', count: '', factor: '×' };

export function IdleTimeoutSection({ settings }: { settings: SettingsView }) {
  const { save, saving, saved, error, setError } = useSectionSave('idleTimeout');
  const [value, setValue] = useState(String(settings.idleTimeoutSec));
  const ids = useId();
  return (
    <section className="card settings-card" aria-labelledby={`${ids}-title`}>
      <h3 id={`${ids}-title`} className="card-title">
        Idle agents
      </h3>
      <form
        className="settings-row"
        onSubmit={(event) => {
          event.preventDefault();
          const n = parseWhole(value);
          if (n === null) {
            setError('Idle timeout: enter a whole number of seconds');
            return;
          }
          void save({ idleTimeoutSec: n });
        }}
      >
        <div className="field settings-narrow">
          <label htmlFor={`${ids}-idle`} className="field-label">
            Idle timeout (seconds)
          </label>
          <input
            id={`${ids}-idle`}
            className="input"
            inputMode="numeric"
            value={value}
            onChange={(event) => setValue(event.target.value)}
          />
          <div className="field-hint">New missions stop agents idle this long; an agent’s own setting wins.</div>
        </div>
        <button type="submit" className="btn btn-primary" disabled={saving}>
          Save idle timeout
        </button>
      </form>
      <SectionStatus saving={saving} saved={saved} error={error} />
    </section>
  );
}

export function AlertsSection({ settings }: { settings: SettingsView }) {
  const { save, saving, saved, error } = useSectionSave('alertThresholds');
  const [form, setForm] = useState<ThresholdsForm>(() => thresholdsToForm(settings.alertThresholds));
  const [errors, setErrors] = useState<FieldErrors>({});
  const ids = useId();
  return (
    <section className="card settings-card" aria-labelledby={`${ids}-title`}>
      <h3 id={`${ids}-title`} className="card-title">
        Alerts
      </h3>
      <p className="muted settings-intro">When the Costs area raises a warning; critical alerts follow the factor below.</p>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          const result = formToThresholds(form);
          setErrors(result.errors);
          if (result.thresholds) void save({ alertThresholds: result.thresholds });
        }}
      >
        <div className="settings-grid">
          {THRESHOLD_FIELDS.map((f) => (
            <div key={f.key} className="field">
              <label htmlFor={`${ids}-${f.key}`} className="field-label">
                {f.label}
                {UNIT[f.unit] ? ` (${UNIT[f.unit]})` : ''}
              </label>
              <input
                id={`${ids}-${f.key}`}
                className="input"
                inputMode="decimal"
                aria-invalid={errors[f.key] ? true : undefined}
                value={form[f.key]}
                onChange={(event) => setForm({ ...form, [f.key]: event.target.value })}
              />
              <div className="field-hint">{f.hint}</div>
            </div>
          ))}
        </div>
        <FieldErrorList errors={errors} />
        <div className="settings-actions">
          <button type="submit" className="btn btn-primary" disabled={saving}>
            Save alert thresholds
          </button>
          <SectionStatus saving={saving} saved={saved} error={error} />
        </div>
      </form>
    </section>
  );
}

/** Whether finished missions keep their team and coder branches (a mission's own choice wins). */
export function KeepBranchesSection({ settings }: { settings: SettingsView }) {
  const { save, saving, saved, error } = useSectionSave('keepBranches');
  const ids = useId();
  // The box shows the click at once (a controlled box would snap back until the engine
  // answered); a refused save puts the saved value back.
  const [pending, setPending] = useState<boolean | null>(null);
  const checked = pending ?? settings.keepBranches;
  const toggle = async (keep: boolean) => {
    setPending(keep);
    await save({ keepBranches: keep });
    setPending(null);
  };
  return (
    <section className="card settings-card" aria-labelledby={`${ids}-title`}>
      <h3 id={`${ids}-title`} className="card-title">
        Finished missions
      </h3>
      <div className="settings-row">
        <label htmlFor={`${ids}-keep`} className="field-label">
          <input
            id={`${ids}-keep`}
            type="checkbox"
            checked={checked}
            disabled={saving}
            aria-describedby={`${ids}-keep-hint`}
            onChange={(event) => void toggle(event.target.checked)}
          />{' '}
          Keep branches
        </label>
      </div>
      <div id={`${ids}-keep-hint`} className="field-hint">
        When a mission ends, its worktrees are removed. Ticked, its team and coder branches stay too; otherwise they are deleted.
        The mission branch always stays until you merge or delete it. A mission’s own “Keep branches” wins.
      </div>
      <SectionStatus saving={saving} saved={saved} error={error} />
    </section>
  );
}
