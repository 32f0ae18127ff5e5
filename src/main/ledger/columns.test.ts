import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import {
  bool,
  defineTable,
  int,
  intOrNull,
  json,
  text,
  textOrNull,
  type RecordOf,
  type Table,
} from './columns.js';

const THINGS = defineTable('things', {
  id: text('id'),
  kind: text<'a' | 'b'>('kind'),
  note: textOrNull('note'),
  count: int('count'),
  limit: intOrNull('limit_nano'),
  enabled: bool('enabled'),
  tags: json<string[]>('tags_json'),
});
type Thing = RecordOf<typeof THINGS>;

const thing: Thing = {
  id: 't1',
  kind: 'a',
  note: null,
  count: 3,
  limit: null,
  enabled: true,
  tags: ['x', 'y'],
};

let db: Database.Database | undefined;
afterEach(() => {
  db?.close();
  db = undefined;
});

function opened(): Database.Database {
  db = new Database(':memory:');
  db.exec(`CREATE TABLE things (id TEXT PRIMARY KEY, kind TEXT NOT NULL, note TEXT, count INTEGER NOT NULL,
    limit_nano INTEGER, enabled INTEGER NOT NULL CHECK (enabled IN (0, 1)), tags_json TEXT NOT NULL) STRICT`);
  return db;
}

describe('defineTable', () => {
  it('derives the SELECT list, the INSERT and the upsert from the declaration, in its order', () => {
    expect(THINGS.list).toBe('id, kind, note, count, limit_nano, enabled, tags_json');
    expect(THINGS.insertSql()).toBe(
      'INSERT INTO things (id, kind, note, count, limit_nano, enabled, tags_json) ' +
        'VALUES (@id, @kind, @note, @count, @limit_nano, @enabled, @tags_json)',
    );
    expect(THINGS.upsertSql(['id'])).toBe(
      'INSERT INTO things (id, kind, note, count, limit_nano, enabled, tags_json) ' +
        'VALUES (@id, @kind, @note, @count, @limit_nano, @enabled, @tags_json) ON CONFLICT (id) DO UPDATE SET ' +
        'kind = excluded.kind, note = excluded.note, count = excluded.count, limit_nano = excluded.limit_nano, ' +
        'enabled = excluded.enabled, tags_json = excluded.tags_json',
    );
  });

  it('converts each column both ways: booleans as 0/1, JSON as text, the rest as they are', () => {
    expect(THINGS.toParams(thing)).toEqual({
      id: 't1',
      kind: 'a',
      note: null,
      count: 3,
      limit_nano: null,
      enabled: 1,
      tags_json: '["x","y"]',
    });
    expect(THINGS.fromRow(['t2', 'b', 'n', 4, 500, 0, '[]'])).toEqual({
      id: 't2',
      kind: 'b',
      note: 'n',
      count: 4,
      limit: 500,
      enabled: false,
      tags: [],
    });
    // Fields come in declaration order, so every record of a table has one shape.
    expect(Object.keys(THINGS.fromRow(['t2', 'b', null, 4, null, 1, '[]']))).toEqual(Object.keys(thing));
  });

  it('writes and reads back through prepared statements, with the rows mapped', () => {
    const d = opened();
    const upsert = d.prepare(THINGS.upsertSql(['id']));
    upsert.run(THINGS.toParams(thing));
    upsert.run(THINGS.toParams({ ...thing, id: 't2', note: 'second', limit: 7, enabled: false }));
    upsert.run(THINGS.toParams({ ...thing, count: 4 }));
    const byId = THINGS.select<[id: string]>(d, 'WHERE id = ?');
    const all = THINGS.select<[]>(d, 'ORDER BY id');
    expect(byId.get('t1')).toEqual({ ...thing, count: 4 });
    expect(byId.get('nope')).toBeUndefined();
    expect(all.all()).toEqual([
      { ...thing, count: 4 },
      { ...thing, id: 't2', note: 'second', limit: 7, enabled: false },
    ]);
  });

  it('picks or omits fields as a table of its own, in declaration order', () => {
    const d = opened();
    d.prepare(THINGS.insertSql()).run(THINGS.toParams(thing));
    const picked = THINGS.pick('tags', 'id');
    expect(picked.list).toBe('id, tags_json');
    expect(picked.select<[]>(d, '').all()).toEqual([{ id: 't1', tags: ['x', 'y'] }]);
    const withoutId = THINGS.omit('id');
    expect(withoutId.insertSql()).toBe(
      'INSERT INTO things (kind, note, count, limit_nano, enabled, tags_json) ' +
        'VALUES (@kind, @note, @count, @limit_nano, @enabled, @tags_json)',
    );
    expect(withoutId.toParams(thing)).not.toHaveProperty('id');
  });

  it('keeps any field name a field name: the compiled mappers quote it', () => {
    const odd = defineTable('odd', { 'a"b\\c': int('x'), 'd}; throw 1; ({': int('y') });
    expect(odd.fromRow([1, 2])).toEqual({ 'a"b\\c': 1, 'd}; throw 1; ({': 2 });
    expect(odd.toParams({ 'a"b\\c': 1, 'd}; throw 1; ({': 2 })).toEqual({ x: 1, y: 2 });
    expect(() => defineTable('bad', JSON.parse('{"__proto__": 1}') as { x: ReturnType<typeof int> })).toThrow(
      /__proto__/,
    );
  });

  it('checks the columns against a record declared elsewhere, field by field', () => {
    interface Declared {
      id: string;
      note: string | null;
    }
    const ok: Table<Declared> = defineTable<Declared>('declared', {
      id: text('id'),
      note: textOrNull('note'),
    });
    expect(ok.list).toBe('id, note');
    // @ts-expect-error a nullable field needs a nullable column
    defineTable<Declared>('declared', { id: text('id'), note: text('note') });
    // @ts-expect-error every field needs its column
    defineTable<Declared>('declared', { id: text('id') });
    // @ts-expect-error and no column is left without a field
    defineTable<Declared>('declared', { id: text('id'), note: textOrNull('note'), extra: int('extra') });
  });
});
