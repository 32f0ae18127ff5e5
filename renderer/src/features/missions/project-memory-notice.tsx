import { useEffect, useMemo, useState } from 'react';
import { pricesAt } from '../../../../src/shared/design-estimate.js';
import { projectMemoryWarning } from '../../../../src/shared/project-memory.js';
import { useStore } from '../../store/index.js';
import './project-memory-notice.css';

/** Typing a path asks the engine once the person pauses, not at every key. */
const CHECK_DELAY_MS = 400;

/**
 * Under the launch form's repository field: a warning when the repository's CLAUDE.md is
 * over 300 lines, with its size and what it adds per hour to the chosen design's calls
 * (every agent reads it in every call, on either runtime). Nothing otherwise.
 */
export function ProjectMemoryNotice({ repoPath }: { repoPath: string }) {
  const memory = useStore((s) => s.projectMemory);
  const check = useStore((s) => s.checkProjectMemory);
  const design = useStore((s) => s.launchDesign?.design ?? null);
  const settings = useStore((s) => s.designerSettings);
  const loadDesignerSettings = useStore((s) => s.loadDesignerSettings);
  const measured = useStore((s) => s.measuredWorkload.data);
  const loadMeasuredWorkload = useStore((s) => s.loadMeasuredWorkload);
  const [now] = useState(() => Date.now());

  useEffect(() => {
    const timer = setTimeout(() => void check(repoPath), CHECK_DELAY_MS);
    return () => clearTimeout(timer);
  }, [repoPath, check]);
  useEffect(() => {
    if (settings.status === 'idle') void loadDesignerSettings();
  }, [settings.status, loadDesignerSettings]);
  useEffect(() => {
    void loadMeasuredWorkload();
  }, [loadMeasuredWorkload]);

  const warning = useMemo(() => {
    const info = memory?.repoPath === repoPath.trim() ? memory.data : null;
    if (!info) return null;
    const prices = settings.priceTable ? pricesAt(settings.priceTable, now) : {};
    const agents = design?.teams.flatMap((t) => t.agents) ?? [];
    return projectMemoryWarning(info, agents, prices, measured ?? undefined);
  }, [memory, repoPath, settings.priceTable, now, design, measured]);

  if (!warning) return null;
  return (
    <div className="memory-notice" role="status" data-testid="project-memory-warning">
      <p className="memory-notice-title">{warning.title}</p>
      <p className="memory-notice-detail">{warning.detail}</p>
    </div>
  );
}
