import type { MissionResultKind, MissionSummary } from '../../../../src/shared/mission.js';
import { resultLabel } from '../../../../src/shared/mission-result.js';
import { MISSION_STATE_LABELS, type Tone } from '../../domain/labels.js';

const TONE_CLASS: Record<Tone, string> = {
  neutral: 'badge',
  accent: 'badge badge-accent',
  success: 'badge badge-success',
  warn: 'badge badge-warn',
  danger: 'badge badge-danger',
};

/** A state as a coloured pill; the dot keeps states apart for people who do not see colour well. */
export function StateBadge({ label, tone, pulse }: { label: string; tone: Tone; pulse?: boolean }) {
  return (
    <span className={`${TONE_CLASS[tone]} state-badge`}>
      <span className={`state-dot${pulse ? ' state-dot-pulse' : ''}`} aria-hidden="true" />
      {label}
    </span>
  );
}

const RESULT_TONES: Record<MissionResultKind, Tone> = {
  merged: 'success',
  declined: 'warn',
  pull_request: 'accent',
  failed: 'danger',
  cancelled: 'neutral',
};

/**
 * A mission's badge wherever it is listed: how it ended once it has (Merged, Declined,
 * Pull request, Failed, Cancelled: a declined final merge never reads as merged), else
 * its state. `data-result` names the kind for tests and styles.
 */
export function MissionStateBadge({ mission }: { mission: Pick<MissionSummary, 'state' | 'resultKind'> }) {
  const label = resultLabel(mission);
  const kind = mission.resultKind ?? (mission.state === 'failed' || mission.state === 'cancelled' ? mission.state : null);
  if (label && kind) {
    return (
      <span data-result={kind} className="mission-state-badge">
        <StateBadge label={label} tone={RESULT_TONES[kind]} />
      </span>
    );
  }
  const state = MISSION_STATE_LABELS[mission.state];
  return <StateBadge label={state.label} tone={state.tone} pulse={mission.state === 'running' || mission.state === 'planning'} />;
}
