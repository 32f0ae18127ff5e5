import type { ReactNode } from 'react';

/** A visible label tied to its control by id, so getByLabel and screen readers agree. */
export function Field({
  id,
  label,
  hint,
  children,
  className,
}: {
  id: string;
  label: string;
  hint?: ReactNode;
  children: ReactNode;
  className?: string;
}) {
  return (
    <div className={`field ${className ?? ''}`}>
      <label htmlFor={id} className="field-label">
        {label}
      </label>
      {children}
      {hint ? <div className="field-hint">{hint}</div> : null}
    </div>
  );
}

/** A dollars input: the "$" is decoration, the value stays exactly what was typed. */
export function MoneyInput({
  id,
  value,
  onChange,
  placeholder = 'No limit',
}: {
  id: string;
  value: string;
  onChange(value: string): void;
  placeholder?: string;
}) {
  return (
    <div className="money-input">
      <span className="money-prefix" aria-hidden="true">
        $
      </span>
      <input
        id={id}
        className="input"
        type="text"
        inputMode="decimal"
        autoComplete="off"
        placeholder={placeholder}
        value={value}
        onChange={(event) => onChange(event.target.value)}
      />
    </div>
  );
}
