/** The end of a Settings section: the engine's error (naming the field) or a "Saved" note. */
export function SectionStatus({ error, saved, saving }: { error: string | null; saved: boolean; saving: boolean }) {
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
      Saved
    </span>
  ) : null;
}
