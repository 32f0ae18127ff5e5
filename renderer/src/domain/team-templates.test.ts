import { describe, expect, it } from 'vitest';
import { freeDesignName, TEMPLATE_CHOICE_PREFIX, templateOfChoice } from './team-templates.js';

describe('launching a template', () => {
  it('names the choice of a template apart from a saved design id', () => {
    expect(templateOfChoice(`${TEMPLATE_CHOICE_PREFIX}solo`)?.id).toBe('solo');
    expect(templateOfChoice('solo')).toBeUndefined();
    expect(templateOfChoice(`${TEMPLATE_CHOICE_PREFIX}nope`)).toBeUndefined();
  });

  it('saves a template launched twice under a name the Teams list can tell apart', () => {
    expect(freeDesignName('Solo team', [])).toBe('Solo team');
    expect(freeDesignName('Solo team', ['solo team', 'Solo team 2'])).toBe('Solo team 3');
  });
});
