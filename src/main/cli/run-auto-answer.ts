import type { EscalationDecision, EscalationView } from '../../shared/mission.js';

/**
 * What `control-room run --auto-approve` answers to an escalation. It approves, except
 * the engine's "cannot go on" item (no agent can act and nothing else waits for the
 * person): approving it restarts the same agents into the same failure (an API that
 * answers every call with an error, a refused key), and a headless run would go round
 * that loop until killed. It fails the mission instead, with the reason as its outcome.
 */

/** Whether the escalation says the mission cannot go on (raised by the engine's liveness check). */
export function cannotGoOn(e: Pick<EscalationView, 'type' | 'payload'>): boolean {
  return e.type === 'stall' && e.payload.noAgents === true && e.payload.mission === true;
}

/** The decision `--auto-approve` makes. */
export function autoAnswer(e: Pick<EscalationView, 'type' | 'payload'>): { decision: EscalationDecision; comment: string; alwaysAllow: boolean } {
  if (cannotGoOn(e)) return { decision: 'deny', comment: '--auto-approve fails a mission that cannot go on rather than retry it unattended', alwaysAllow: false };
  return { decision: 'approve', comment: '', alwaysAllow: false };
}

/** The line `run` prints before failing such a mission. */
export function cannotGoOnLine(e: Pick<EscalationView, 'title' | 'payload'>): string {
  const reason = typeof e.payload.reason === 'string' ? e.payload.reason : 'no agent can act';
  return `${e.title}: ${reason}. With --auto-approve the mission fails rather than restart the same agents; run without it to be asked.`;
}
