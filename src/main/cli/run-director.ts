import { briefPayload } from '../../shared/mission-brief.js';
import type { EscalationView } from '../../shared/mission.js';
import { safeMessage } from '../../shared/quote.js';

/**
 * The director's draft in `control-room run --director`: printed for the person, then
 * approved (`a`) or sent back with a comment (`s COMMENT`) on stdin. Everything printed
 * came from a model or a team file, so each line is escaped and cut.
 */

/** A decision on the draft, as `escalations:decide` takes it. */
export interface BriefAnswer {
  decision: 'approve' | 'reply';
  comment: string;
  alwaysAllow: false;
}

/** Whether the draft can be answered now: the director has finished (or failed). */
export function briefReady(e: EscalationView): boolean {
  const status = briefPayload(e.payload)?.status;
  return status === 'ready' || status === 'failed';
}

/** The draft as lines: each team's share, the phases, the interfaces, and why the director failed if it did. */
export function briefLines(e: EscalationView): string[] {
  const payload = briefPayload(e.payload);
  const lines = [`\n? [mission_brief] ${safeMessage(e.title)}`];
  if (!payload?.draft) return [...lines, '  (no draft)'];
  if (payload.status === 'failed') lines.push(`  The director failed: ${safeMessage(payload.error ?? 'unknown error')}`, '  The shares below come from the team briefs.');
  for (const [team, share] of Object.entries(payload.draft.shares)) {
    const after = payload.draft.after[team] ?? [];
    lines.push(`  ${safeMessage(team)}${after.length > 0 ? ` (after ${after.map((a) => safeMessage(a)).join(', ')})` : ''}:`);
    for (const line of share.split('\n')) lines.push(`    ${safeMessage(line)}`);
  }
  if (payload.draft.interfaces.trim() !== '') {
    lines.push('  Interfaces:');
    for (const line of payload.draft.interfaces.split('\n')) lines.push(`    ${safeMessage(line)}`);
  }
  return lines;
}

/** Asks on stdin until the answer is `a` or `s COMMENT`; undefined when stdin closed. */
export async function askBrief(e: EscalationView, out: (line: string) => void, answers: AsyncIterator<string> | undefined): Promise<BriefAnswer | undefined> {
  for (const line of briefLines(e)) out(line);
  for (;;) {
    out('  answer: a(pprove) | s(end back) COMMENT');
    const next = await answers?.next();
    if (!next || next.done) return undefined;
    const [word = '', ...rest] = next.value.trim().split(/\s+/);
    const comment = rest.join(' ');
    const w = word.toLowerCase();
    if (w === 'a' || w === 'approve' || w === 'y' || w === 'yes') return { decision: 'approve', comment, alwaysAllow: false };
    if ((w === 's' || w === 'send' || w === 'r' || w === 'reply') && comment !== '') return { decision: 'reply', comment, alwaysAllow: false };
  }
}
