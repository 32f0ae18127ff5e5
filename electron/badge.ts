// The dock / taskbar badge: how many escalations wait on the person, across missions.
// macOS shows it on the dock and Linux on Unity-style launchers (setBadgeCount is a
// no-op elsewhere); it refreshes when an escalation changes, at most once per batch.
import { app } from 'electron';
import type { EventEnvelope } from '../src/shared/contract.js';
import type { EscalationView } from '../src/shared/mission.js';
import type { BackendHandle } from '../src/main/app/backend.js';

/** Escalations the person has to answer (a leader's own are not the person's). */
export function countWaitingOnPerson(escalations: readonly Pick<EscalationView, 'level' | 'state'>[]): number {
  return escalations.filter((e) => e.state === 'open' && e.level === 'human').length;
}

/** Whether a batch of events can change the count. */
export function touchesEscalations(batch: readonly EventEnvelope[]): boolean {
  return batch.some((e) => e.name === 'escalations:changed');
}

/** Keeps the badge equal to the inbox's count; returns the unsubscribe function. */
export function setupBadge(backend: Pick<BackendHandle, 'events' | 'invoke'>): () => void {
  const refresh = async (): Promise<void> => {
    const result = await backend.invoke('escalations:list', { openOnly: true });
    if (result.ok) app.setBadgeCount(countWaitingOnPerson(result.data as EscalationView[]));
  };
  void refresh();
  return backend.events.subscribe((batch) => {
    if (touchesEscalations(batch)) void refresh();
  });
}
