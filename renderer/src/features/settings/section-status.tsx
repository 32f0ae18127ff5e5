import type { FieldErrors } from '../../domain/settings-form.js';

/** The end of a Settings section: the engine's error (naming the field) or a "Saved" note (`savedText` says more). */
export function SectionStatus({
  error,
  saved,
  saving,
  savedText = 'Saved',
}: {
  error: string | null;
  saved: boolean;
  saving: boolean;
  savedText?: string;
}) {
  if (saving) {
    return (
      <span className="muted settings-status" role="status">
        Saving…
      </span>
    );
  }
  if (error) {
    return (
      <div className="inline-error settings-status" role="alert">
        {error}
      </div>
    );
  }
  return saved ? (
    <span className="settings-saved settings-status" role="status">
      {savedText}
    </span>
  ) : null;
}

/** The section's field errors, in one alert under its fields; nothing when there are none. */
export function FieldErrorList({ errors }: { errors: FieldErrors }) {
  const messages = Object.values(errors);
  if (messages.length === 0) return null;
  return (
    <div className="inline-error" role="alert">
      {messages.join('. ')}
    </div>
  );
}
