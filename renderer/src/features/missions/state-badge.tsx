import type { Tone } from '../../domain/labels.js';

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
