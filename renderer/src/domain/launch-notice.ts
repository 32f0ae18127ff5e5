import type { MissionState } from '../../../src/shared/mission.js';

/**
 * Whether the launch banner ("Mission launched: the leaders are planning.") still says
 * what is true: only while the leaders plan or the plan waits for approval. Once the plan
 * is approved (the mission runs, integrates or ended) the banner would mislead, so it goes.
 * Any other notice is left to the person to dismiss.
 */
export function noticeStillTrue(text: string, state: MissionState | undefined): boolean {
  if (!text.startsWith('Mission launched')) return true;
  return state === undefined || state === 'draft' || state === 'planning' || state === 'awaiting_plan_approval';
}
