import { describe, expect, it } from 'vitest';
import { MISSION_STATES } from '../../../src/shared/mission.js';
import { noticeStillTrue } from './launch-notice.js';

describe('the launch banner', () => {
  it('stays while the leaders plan and the plan waits, and goes once the plan is approved', () => {
    const launched = 'Mission launched: the leaders are planning.';
    const kept = MISSION_STATES.filter((s) => noticeStillTrue(launched, s));
    expect(kept).toEqual(['draft', 'planning', 'awaiting_plan_approval']);
    expect(noticeStillTrue(launched, 'running')).toBe(false);
  });

  it('leaves every other notice alone', () => {
    expect(noticeStillTrue('The mission was created but could not start: no repo', 'running')).toBe(true);
  });
});
