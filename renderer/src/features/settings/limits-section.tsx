import { useId, useState } from 'react';
import type { SettingsView } from '../../../../src/shared/contract/settings.js';
import { LIMIT_FIELDS, POOLS, POOL_LABELS, formToLimits, limitsToForm, presetIdOf, type FieldErrors, type LimitsForm } from '../../domain/settings-form.js';
import { FieldErrorList, SectionStatus } from './section-status.js';
import { useSectionSave } from './use-section-save.js';

export function LimitsSection({ settings }: { settings: SettingsView }) {
  const { save, saving, saved, error } = useSectionSave('poolLimits');
  const [form, setForm] = useState<LimitsForm>(() => limitsToForm(settings.poolLimits));
  const [errors, setErrors] = useState<FieldErrors>({});
  const ids = useId();
  const parsed = formToLimits(form);
  const preset = parsed.limits ? presetIdOf(parsed.limits, settings.presets) : null;

  return (
    <section className="card settings-card" aria-labelledby={`${ids}-title`}>
      <h3 id={`${ids}-title`} className="card-title">
        Rate limits
      </h3>
      <p className="muted settings-intro">
        Requests and tokens per minute for each model pool, as your Anthropic usage tier allows. They are where the shared
        limiter starts; real limits from the API’s response headers take over as calls return.
        {settings.poolLimitsStored ? '' : ' Nothing saved yet: the engine’s defaults for this provider apply.'}
      </p>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          const result = formToLimits(form);
          setErrors(result.errors);
          if (result.limits) void save({ poolLimits: result.limits });
        }}
      >
        <div className="field settings-narrow">
          <label htmlFor={`${ids}-preset`} className="field-label">
            Preset
          </label>
          <select
            id={`${ids}-preset`}
            className="input"
            value={preset ?? 'custom'}
            onChange={(event) => {
              const chosen = settings.presets.find((p) => p.id === event.target.value);
              if (chosen) setForm(limitsToForm(chosen.pools));
            }}
          >
            {settings.presets.map((p) => (
              <option key={p.id} value={p.id}>
                {p.label}
              </option>
            ))}
            <option value="custom" disabled={preset !== null}>
              Custom
            </option>
          </select>
        </div>
        <table className="table settings-table">
          <thead>
            <tr>
              <th scope="col">Pool</th>
              {LIMIT_FIELDS.map((f) => (
                <th key={f.key} scope="col" className="num">
                  {f.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {POOLS.map((pool) => (
              <tr key={pool}>
                <th scope="row">{POOL_LABELS[pool]}</th>
                {LIMIT_FIELDS.map((f) => (
                  <td key={f.key} className="num">
                    <input
                      className="input settings-number"
                      inputMode="numeric"
                      aria-label={`${POOL_LABELS[pool]} ${f.label}`}
                      aria-invalid={errors[`${pool}.${f.key}`] ? true : undefined}
                      value={form[pool][f.key]}
                      onChange={(event) => setForm({ ...form, [pool]: { ...form[pool], [f.key]: event.target.value } })}
                    />
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
        <FieldErrorList errors={errors} />
        <div className="settings-actions">
          <button type="submit" className="btn btn-primary" disabled={saving}>
            Save rate limits
          </button>
          <SectionStatus saving={saving} saved={saved} error={error} />
        </div>
      </form>
    </section>
  );
}
