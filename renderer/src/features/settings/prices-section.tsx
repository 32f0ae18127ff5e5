import { useId, useState } from 'react';
import type { SettingsView } from '../../../../src/shared/contract/settings.js';
import { MODELS } from '../../../../src/shared/models.js';
import { PRICE_FIELDS, addRow, newRowForm, type FieldErrors, type PriceRowForm } from '../../domain/settings-form.js';
import { formatDate } from '../../lib/format.js';
import { FieldErrorList, SectionStatus } from './section-status.js';
import { useSectionSave } from './use-section-save.js';

const today = () => new Date().toISOString().slice(0, 10);
const usd = (n: number) => `$${n.toLocaleString('en-US', { maximumFractionDigits: 9 })}`;

export function PricesSection({ settings }: { settings: SettingsView }) {
  const { save, saving, saved, error } = useSectionSave('priceTable');
  const table = settings.priceTable;
  const [adding, setAdding] = useState<PriceRowForm | null>(null);
  const [errors, setErrors] = useState<FieldErrors>({});
  const ids = useId();
  const rows = [...table.rows].sort((a, b) => a.model.localeCompare(b.model) || a.effectiveFrom.localeCompare(b.effectiveFrom));

  return (
    <section className="card settings-card" aria-labelledby={`${ids}-title`}>
      <h3 id={`${ids}-title`} className="card-title">
        Prices
      </h3>
      <p className="muted settings-intro">
        US dollars per million tokens. Calls are priced by the latest row in force when they start, and every call in
        the ledger names its row, so rows are never edited: to change a price, add a row from a later date.
      </p>
      <div className="settings-scroll">
        <table className="table settings-table">
          <thead>
            <tr>
              <th scope="col">Model</th>
              <th scope="col">From</th>
              {PRICE_FIELDS.map((f) => (
                <th key={f.key} scope="col" className="num">
                  {f.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.id}>
                <td>{MODELS.find((m) => m.id === r.model)?.label ?? r.model}</td>
                <td className="nowrap">{formatDate(r.effectiveFrom.slice(0, 10))}</td>
                {PRICE_FIELDS.map((f) => (
                  <td key={f.key} className="num">
                    {usd(r[f.key])}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {adding ? (
        <form
          className="settings-add-row"
          aria-label="New price row"
          onSubmit={(event) => {
            event.preventDefault();
            const result = addRow(table, adding);
            setErrors(result.errors);
            if (result.table) {
              void save({ priceTable: result.table }).then((ok) => ok && setAdding(null));
            }
          }}
        >
          <div className="settings-grid">
            <div className="field">
              <label htmlFor={`${ids}-model`} className="field-label">
                Model
              </label>
              <select
                id={`${ids}-model`}
                className="input"
                value={adding.model}
                onChange={(event) => setAdding(newRowForm(table, event.target.value, adding.effectiveFrom, Date.now()))}
              >
                {MODELS.map((m) => (
                  <option key={m.id} value={m.id}>
                    {m.label}
                  </option>
                ))}
              </select>
            </div>
            <div className="field">
              <label htmlFor={`${ids}-from`} className="field-label">
                Effective from
              </label>
              <input
                id={`${ids}-from`}
                className="input"
                type="date"
                aria-invalid={errors.effectiveFrom ? true : undefined}
                value={adding.effectiveFrom}
                onChange={(event) => setAdding({ ...adding, effectiveFrom: event.target.value })}
              />
            </div>
            {PRICE_FIELDS.map((f) => (
              <div key={f.key} className="field">
                <label htmlFor={`${ids}-${f.key}`} className="field-label">
                  {f.label} ($)
                </label>
                <input
                  id={`${ids}-${f.key}`}
                  className="input"
                  inputMode="decimal"
                  aria-invalid={errors[f.key] ? true : undefined}
                  value={adding[f.key]}
                  onChange={(event) => setAdding({ ...adding, [f.key]: event.target.value })}
                />
              </div>
            ))}
          </div>
          <FieldErrorList errors={errors} />
          <div className="settings-actions">
            <button type="submit" className="btn btn-primary" disabled={saving}>
              Add the row
            </button>
            <button type="button" className="btn" onClick={() => setAdding(null)}>
              Cancel
            </button>
          </div>
        </form>
      ) : (
        <div className="settings-actions">
          <button
            type="button"
            className="btn"
            onClick={() => {
              setErrors({});
              setAdding(newRowForm(table, MODELS[0].id, today(), Date.now()));
            }}
          >
            Add a price row
          </button>
        </div>
      )}
      <SectionStatus saving={saving} saved={saved} error={error} />
    </section>
  );
}
