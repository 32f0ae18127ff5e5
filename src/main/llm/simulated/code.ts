/**
 * The code simulated coders write: a small, working module named after the task, and a
 * `node:test` test for it, so a simulated mission leaves real, runnable files behind
 * and a reviewer has a real diff to look at.
 */
import { posix } from 'node:path';
import { clip, pascalCase } from './conversation.js';

/** What kind of module a task asks for; the planner names tasks after these. */
export type CodeArchetype = 'parse' | 'validate' | 'store' | 'format' | 'normalize';

export const ARCHETYPES: readonly CodeArchetype[] = ['parse', 'validate', 'store', 'format', 'normalize'];

/** How the target repository loads JavaScript. */
export type ModuleStyle = 'esm' | 'cjs' | 'ts';

export interface CodeSpec {
  taskKey: string;
  title: string;
  /** Kebab-case base name, e.g. `todo-parser`. */
  slug: string;
  archetype: CodeArchetype;
  style: ModuleStyle;
  modulePath: string;
  testPath: string | null;
}

const ARCHETYPE_WORDS: ReadonlyArray<[CodeArchetype, RegExp]> = [
  ['parse', /\bpars(e|er|ing)\b/i],
  ['validate', /\bvalidat(e|ion|or)\b/i],
  ['store', /\b(store|storage|repository|cache)\b/i],
  ['format', /\b(format|formatter|formatting|render|report)\b/i],
  ['normalize', /\b(normali[sz](e|er|ation)|slug|clean)\b/i],
];

/**
 * The archetype a title or description asks for, by the keyword that comes first
 * ("Name normaliser for the CSV parser" is a normaliser); undefined when none matches.
 */
export function archetypeFromText(text: string): CodeArchetype | undefined {
  let best: { archetype: CodeArchetype; at: number } | undefined;
  for (const [archetype, pattern] of ARCHETYPE_WORDS) {
    const at = pattern.exec(text)?.index;
    if (at !== undefined && (best === undefined || at < best.at)) best = { archetype, at };
  }
  return best?.archetype;
}

const ROLE_WORDS =
  /^(parser|parsing|validation|validator|store|storage|report|formatter|format|names|normali[sz]er|normali[sz]ation)$/;

/** The module's first line: stable and unique, so a later edit_file can anchor on it. */
export function headerLine(spec: Pick<CodeSpec, 'taskKey' | 'title'>): string {
  return `// ${spec.taskKey}: ${clip(spec.title, 100)}`;
}

/** The exported name of the module's main function. */
export function exportName(spec: Pick<CodeSpec, 'slug' | 'archetype'>): string {
  // `todo-parser` gives parseTodo, not parseTodoParser.
  const parts = spec.slug.split('-');
  if (parts.length > 1 && ROLE_WORDS.test(parts[parts.length - 1] ?? '')) parts.pop();
  const base = pascalCase(parts.join('-'));
  switch (spec.archetype) {
    case 'parse':
      return `parse${base}`;
    case 'validate':
      return `validate${base}`;
    case 'store':
      return `create${base}Store`;
    case 'format':
      return `format${base}`;
    case 'normalize':
      return `normalize${base}`;
  }
}

/** Source of the module. `note` (review feedback addressed) goes under the header. */
export function moduleSource(spec: CodeSpec, note?: string): string {
  const name = exportName(spec);
  const ts = spec.style === 'ts';
  const body = moduleBody(spec.archetype, name, ts);
  const lines = [headerLine(spec)];
  if (note) lines.push(`// Review: ${clip(note, 160)}`);
  if (spec.style === 'cjs') lines.push("'use strict';");
  const exported = spec.style === 'cjs' ? body.replace(/^export function /gm, 'function ') : body;
  lines.push('', exported.trim(), '');
  if (spec.style === 'cjs') lines.push(`module.exports = { ${name} };`, '');
  return lines.join('\n');
}

function moduleBody(archetype: CodeArchetype, name: string, ts: boolean): string {
  const t = (annotation: string): string => (ts ? annotation : '');
  switch (archetype) {
    case 'parse':
      return `
/**
 * Parses \`key = value\` lines. Blank lines and lines starting with # are skipped;
 * numeric and boolean values are converted.
 */
export function ${name}(text${t(': string')})${t(': Record<string, string | number | boolean>')} {
  if (typeof text !== 'string') throw new TypeError('${name} expects a string');
  const out${t(': Record<string, string | number | boolean>')} = {};
  for (const [index, raw] of text.split(/\\r?\\n/).entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) throw new SyntaxError(\`line \${index + 1}: expected key = value\`);
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    out[key] = value === 'true' ? true : value === 'false' ? false : value !== '' && !Number.isNaN(Number(value)) ? Number(value) : value;
  }
  return out;
}
`;
    case 'validate':
      return `
/**
 * Checks a record: a non-empty \`name\` and, when present, \`tags\` as an array of strings.
 * Returns every problem rather than stopping at the first.
 */
export function ${name}(record${t(': unknown')})${t(': { ok: boolean; errors: string[] }')} {
  const errors${t(': string[]')} = [];
  if (record === null || typeof record !== 'object' || Array.isArray(record)) {
    return { ok: false, errors: ['record must be an object'] };
  }
  const { name, tags } = record${t(' as { name?: unknown; tags?: unknown }')};
  if (typeof name !== 'string' || name.trim() === '') errors.push('name is required');
  if (tags !== undefined && (!Array.isArray(tags) || tags.some((tag) => typeof tag !== 'string'))) {
    errors.push('tags must be an array of strings');
  }
  return { ok: errors.length === 0, errors };
}
`;
    case 'store':
      return `
/** An in-memory store with stable, increasing ids. */
export function ${name}${t('<T>')}() {
  const items = new Map${t('<number, T>')}();
  let nextId = 1;
  return {
    add(item${t(': T')}) {
      const id = nextId++;
      items.set(id, item);
      return id;
    },
    get(id${t(': number')}) {
      return items.get(id);
    },
    remove(id${t(': number')}) {
      return items.delete(id);
    },
    list() {
      return [...items.entries()].map(([id, item]) => ({ id, item }));
    },
    get size() {
      return items.size;
    },
  };
}
`;
    case 'format':
      return `
/** Formats rows as an aligned text table; the columns are the keys of the first row. */
export function ${name}(rows${t(': Array<Record<string, unknown>>')})${t(': string')} {
  if (!Array.isArray(rows)) throw new TypeError('${name} expects an array of rows');
  if (rows.length === 0) return '';
  const columns = Object.keys(rows[0]${t('!')});
  const cells = [columns, ...rows.map((row) => columns.map((c) => String(row[c] ?? '')))];
  const widths = columns.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) => r.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd()).join('\\n');
}
`;
    case 'normalize':
      return `
/** Lower-cases, strips accents and punctuation, and joins words with single dashes. */
export function ${name}(input${t(': string')})${t(': string')} {
  if (typeof input !== 'string') throw new TypeError('${name} expects a string');
  return input
    .normalize('NFKD')
    .replace(/[\\u0300-\\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}
`;
  }
}

/** Source of the module's test (node:test, no dependencies). */
export function testSource(spec: CodeSpec): string {
  if (spec.testPath === null) return '';
  const name = exportName(spec);
  let rel = posix.relative(posix.dirname(spec.testPath), spec.modulePath);
  if (!rel.startsWith('.')) rel = `./${rel}`;
  if (spec.style === 'ts') rel = rel.replace(/\.ts$/, '.js');
  const header =
    spec.style === 'cjs'
      ? [
          "'use strict';",
          "const test = require('node:test');",
          "const assert = require('node:assert/strict');",
          `const { ${name} } = require('${rel}');`,
        ]
      : [
          "import test from 'node:test';",
          "import assert from 'node:assert/strict';",
          `import { ${name} } from '${rel}';`,
        ];
  return [
    `// Tests for ${spec.taskKey}: ${clip(spec.title, 100)}`,
    ...header,
    '',
    testBody(spec.archetype, name, spec.style === 'ts'),
    '',
  ].join('\n');
}

function testBody(archetype: CodeArchetype, name: string, ts: boolean): string {
  // A TypeScript test must still compile where it feeds a wrong type on purpose.
  const wrong = (value: string): string => (ts ? `${value} as unknown as string` : value);
  switch (archetype) {
    case 'parse':
      return `test('${name} reads key = value lines', () => {
  assert.deepEqual(${name}('# settings\\nname = demo\\nport = 8080\\ndebug = true\\n'), {
    name: 'demo',
    port: 8080,
    debug: true,
  });
});

test('${name} rejects a line without =', () => {
  assert.throws(() => ${name}('oops'), SyntaxError);
});`;
    case 'validate':
      return `test('${name} accepts a complete record', () => {
  assert.deepEqual(${name}({ name: 'demo', tags: ['a'] }), { ok: true, errors: [] });
});

test('${name} reports every problem', () => {
  const result = ${name}({ name: ' ', tags: [1] });
  assert.equal(result.ok, false);
  assert.equal(result.errors.length, 2);
});`;
    case 'store':
      return `test('${name} adds, gets and removes items', () => {
  const store = ${name}();
  const id = store.add('first');
  assert.equal(store.get(id), 'first');
  assert.equal(store.size, 1);
  assert.equal(store.remove(id), true);
  assert.deepEqual(store.list(), []);
});

test('${name} never reuses an id', () => {
  const store = ${name}();
  const a = store.add('a');
  store.remove(a);
  assert.notEqual(store.add('b'), a);
});`;
    case 'format':
      return `test('${name} aligns columns', () => {
  const text = ${name}([
    { id: 1, name: 'alpha' },
    { id: 22, name: 'b' },
  ]);
  assert.equal(text, 'id  name\\n1   alpha\\n22  b');
});

test('${name} returns an empty string for no rows', () => {
  assert.equal(${name}([]), '');
});`;
    case 'normalize':
      return `test('${name} makes a slug', () => {
  assert.equal(${name}('  Crème Brûlée, Deluxe! '), 'creme-brulee-deluxe');
});

test('${name} rejects non-strings', () => {
  assert.throws(() => ${name}(${wrong('42')}), TypeError);
});`;
  }
}

/** How a summary names the module: `parseTodo() in src/todo.js`. */
export function describeModule(spec: CodeSpec): string {
  return `${exportName(spec)}() in ${spec.modulePath}`;
}
