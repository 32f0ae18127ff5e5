import { describe, expect, it } from 'vitest';
import { filePlan, parseTaskContext, pickCommand } from './coder.js';
import { attemptNumber, firstLabel, lastLabel, slugify, splitList } from './conversation.js';
import { parseCoders, planFor } from './planner.js';
import { archetypeFromText, exportName } from './code.js';
import { roleOf } from './roles.js';
import { fnv1a, hashParts, Rng } from './random.js';

describe('prompt conventions', () => {
  it('reads labels with markdown decoration and values on the next line', () => {
    const text = '## Mission\n- **Goal:** Build a *todo* app\n> Coders: alice\nGoal:\n   second goal\n';
    expect(firstLabel(text, 'Goal')).toBe('Build a *todo* app');
    expect(lastLabel(text, 'Goal')).toBe('second goal');
    expect(firstLabel(text, 'Coders')).toBe('alice');
    expect(firstLabel(text, 'Missing')).toBeUndefined();
  });

  it('reads attempts and lists', () => {
    expect(attemptNumber('Attempt: 2')).toBe(2);
    expect(attemptNumber('This is attempt 3 of 3')).toBe(3);
    expect(attemptNumber('Maximum attempts: 5')).toBe(1);
    expect(splitList('`npm test`, node --test; (none)')).toEqual(['npm test', 'node --test']);
  });

  it('reads coders with their models in parentheses', () => {
    expect(parseCoders('Coders: alice (claude-sonnet-4-6), bob-2 (haiku), alice')).toEqual([
      'alice',
      'bob-2',
    ]);
    expect(parseCoders('no team here')).toEqual([]);
  });

  it('reads a task', () => {
    const ctx = parseTaskContext(
      'Task: feature-3 — Table formatter for reports\nOwns: src/r.js, test/r.test.js\nAllowed commands: npm test\nAttempt: 2\nFeedback: add docs',
    );
    expect(ctx).toMatchObject({
      key: 'feature-3',
      title: 'Table formatter for reports',
      owns: ['src/r.js', 'test/r.test.js'],
      allowedCommands: ['npm test'],
      attempt: 2,
      feedback: 'add docs',
    });
    expect(parseTaskContext('Task: api-routes (Routes)').title).toBe('Routes');
    expect(parseTaskContext('nothing').key).toBe('task');
  });

  it('plans files within owned folders and globs', () => {
    const ctx = parseTaskContext('Task: feature-1 — Input parser\nOwns: src/parser/**, tests/');
    expect(filePlan(ctx)).toEqual({
      slug: 'input-parser',
      modules: ['src/parser/input-parser.js'],
      tests: ['src/parser/input-parser.test.js', 'tests/input-parser.test.js'],
    });
    expect(filePlan(parseTaskContext('Task: x — Store')).modules).toEqual(['src/store.js', 'lib/store.js']);
  });

  it('prefers an allowlisted test command and sometimes picks an unlisted one', () => {
    expect(pickCommand({ allowedCommands: ['npm run lint', 'npm test'] }, 0.9, 0)).toBe('npm test');
    expect(pickCommand({ allowedCommands: [] }, 0.9, 0)).toBe('npm test');
    expect(pickCommand({ allowedCommands: ['npm test'] }, 0.1, 0)).toBe('npm install left-pad');
  });
});

describe('naming', () => {
  it('takes the archetype from the first keyword', () => {
    expect(archetypeFromText('Name normaliser for the CSV parser')).toBe('normalize');
    expect(archetypeFromText('Input parser for names')).toBe('parse');
    expect(archetypeFromText('Something else')).toBeUndefined();
    expect(exportName({ slug: 'todo-list-parser', archetype: 'parse' })).toBe('parseTodoList');
    expect(exportName({ slug: '3d-store', archetype: 'store' })).toBe('create3dStore');
    expect(slugify('Build the 3D model viewer!')).toBe('3d-model-viewer');
  });

  it('maps offered tools to roles', () => {
    expect(roleOf(['create_task', 'submit_plan'])).toBe('planning');
    expect(roleOf(['read_file', 'write_file', 'submit_task'])).toBe('coding');
    expect(roleOf(['approve_submission', 'reject_submission'])).toBe('review');
    expect(roleOf(['answer_coder', 'escalate_to_human'])).toBe('escalation');
    expect(roleOf([])).toBe('text');
  });

  it('plans the same tasks for the same goal and seed', () => {
    expect(planFor('Build a CLI', ['a', 'b'], 5)).toEqual(planFor('Build a CLI', ['a', 'b'], 5));
    expect(planFor(undefined, [], 5)).toHaveLength(2);
  });
});

describe('random', () => {
  it('is seeded and well spread', () => {
    expect(fnv1a('a')).toBe(0xe40c292c);
    expect(hashParts('ab', 'c')).not.toBe(hashParts('a', 'bc'));
    const a = new Rng(42);
    const b = new Rng(42);
    const draws = Array.from({ length: 1_000 }, () => a.next());
    expect(draws).toEqual(Array.from({ length: 1_000 }, () => b.next()));
    const mean = draws.reduce((s, x) => s + x, 0) / draws.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
    expect(draws.every((x) => x >= 0 && x < 1)).toBe(true);
  });
});
