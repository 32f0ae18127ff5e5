import { useState } from 'react';
import { useStore, type SettingsRequests, type SettingsSection } from '../../store/index.js';

/** Saving one Settings section: its in-flight flag, the engine's error and a "Saved" note. */
export function useSectionSave<S extends SettingsSection>(section: S) {
  const saveSetting = useStore((s) => s.saveSetting);
  const saving = useStore((s) => s.settingsSaving === section);
  const saved = useStore((s) => s.settingsSaved === section);
  const [error, setError] = useState<string | null>(null);
  const save = async (request: SettingsRequests[S]): Promise<boolean> => {
    setError(null);
    const outcome = await saveSetting(section, request);
    if (!outcome.ok) setError(outcome.error ?? 'Could not save.');
    return outcome.ok;
  };
  return { save, saving, saved: saved && error === null, error, setError };
}
