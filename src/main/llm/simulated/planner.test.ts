import { describe, expect, it } from 'vitest';
import { planFor } from './planner.js';

/** The simulated leader plans inside its team's brief, so simulated teams produce disjoint work. */
describe('planFor with a team brief', () => {
  const coders = ['c1', 'c2', 'c3'];

  it("puts every task's files inside the folders the team owns", () => {
    const plan = planFor('Storage: the store', coders, 3, { focus: 'Storage', owns: ['src/storage/', 'lib/db'] });
    expect(plan.length).toBeGreaterThanOrEqual(2);
    for (const t of plan) for (const path of t.owns) expect(path.startsWith('src/storage/') || path.startsWith('lib/db/')).toBe(true);
  });

  it('gives each owned file to one task at most', () => {
    const plan = planFor('Config', coders, 3, { owns: ['src/config.js', 'src/env.js'] });
    expect(plan.map((t) => t.owns)).toEqual([['src/config.js'], ['src/env.js']]);
  });

  it('derives a folder from the focus when the brief owns nothing, so two teams never share files', () => {
    const a = planFor("a's share", coders, 3, { focus: 'Infrastructure: database schema', owns: [] });
    const b = planFor("b's share", coders, 3, { focus: 'Workers and queues', owns: [] });
    const filesA = a.flatMap((t) => t.owns);
    const filesB = b.flatMap((t) => t.owns);
    expect(filesA.every((p) => p.startsWith('src/infrastructure-database/'))).toBe(true);
    expect(filesB.every((p) => p.startsWith('src/workers-queues/'))).toBe(true);
  });

  it('plans as before without a brief', () => {
    expect(planFor('Build a todo CLI', coders, 3, { focus: undefined, owns: [] })).toEqual(planFor('Build a todo CLI', coders, 3));
    expect(planFor('Build a todo CLI', coders, 3).flatMap((t) => t.owns).every((p) => p.startsWith('src/') || p.startsWith('test/'))).toBe(true);
  });
});
