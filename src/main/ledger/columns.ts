import type Database from 'better-sqlite3';

/**
 * A table's columns, declared once: for each record field, its SQLite column and how a
 * value converts between the two. The SELECT list, the row mapper, the named parameters
 * of an INSERT or upsert and (when it is not declared elsewhere) the record type all
 * derive from the declaration.
 *
 * Mappers run on hot paths (the engine loads and writes thousands of agents), so each
 * table's are compiled once, when it is declared, into plain object literals: as fast
 * as hand-written ones, with no per-row walk over the columns. Rows are read from raw
 * statements (arrays in SELECT order), which spares better-sqlite3 building a keyed
 * object per row that the mapper would throw away.
 */

/** One column: its SQL name and how its value converts (see {@link text} and friends). */
export interface Column<T> {
  readonly name: string;
  /** From the value better-sqlite3 returns to the record's. */
  readonly read: (value: unknown) => T;
  /** From the record's value to the one bound as a parameter. */
  readonly write: (value: T) => unknown;
}

/** For a record type `R`, a column for each field with exactly that field's type. */
export type ColumnsOf<R> = { readonly [K in keyof R]-?: Column<R[K]> };

/** Bound as it is: a mapper reads the field without a call. */
const asIs = <T>(value: T): unknown => value;
const column = <T>(
  name: string,
  read: (value: unknown) => T,
  write: (value: T) => unknown = asIs,
): Column<T> => ({
  name,
  read,
  write,
});
const toString = (value: unknown): string => String(value);
const toStringOrNull = (value: unknown): string | null =>
  value === null || value === undefined ? null : String(value);
const toNumberOrNull = (value: unknown): number | null =>
  value === null || value === undefined ? null : Number(value);
const parseJson = (value: unknown): unknown => JSON.parse(String(value));

/** A `TEXT NOT NULL` column; `T` narrows it to the values its CHECK allows. */
export const text = <T extends string = string>(name: string): Column<T> =>
  column(name, toString as (value: unknown) => T);
/** A nullable `TEXT` column. */
export const textOrNull = <T extends string = string>(name: string): Column<T | null> =>
  column(name, toStringOrNull as (value: unknown) => T | null);
/** An `INTEGER NOT NULL` column read as a number. */
export const int = (name: string): Column<number> => column(name, Number);
/** A nullable `INTEGER` column. */
export const intOrNull = (name: string): Column<number | null> => column(name, toNumberOrNull);
/** A boolean stored as `0` / `1`. */
export const bool = (name: string): Column<boolean> =>
  column(
    name,
    (value) => value === 1,
    (value) => (value ? 1 : 0),
  );
/** JSON text (`*_json`), parsed on read and serialised on write. */
export const json = <T>(name: string): Column<T> =>
  column(name, parseJson as (value: unknown) => T, (value) => JSON.stringify(value));

/** A prepared SELECT of a table's columns whose rows come back as records. */
export interface Query<R, P extends unknown[]> {
  all(...params: P): R[];
  get(...params: P): R | undefined;
}

/** A table (or some of its columns) with what derives from its declaration. */
export interface Table<R> {
  readonly name: string;
  readonly columns: ColumnsOf<R>;
  /** The column names in declaration order: a raw row's order. */
  readonly columnNames: readonly string[];
  /** The same, comma-separated: a SELECT list. */
  readonly list: string;
  /** A raw row (values in {@link list} order) to its record. */
  readonly fromRow: (row: readonly unknown[]) => R;
  /** A record to named parameters, `{ column: value }`, for `@column` placeholders. */
  readonly toParams: (record: R) => Record<string, unknown>;
  /** Prepares `SELECT <list> FROM <table> <clause>` once; its rows are mapped by {@link fromRow}. */
  select<P extends unknown[] = unknown[]>(db: Database.Database, clause: string): Query<R, P>;
  /** `INSERT INTO <table> (<list>) VALUES (@<column>, …)`. */
  insertSql(): string;
  /** An `INSERT … ON CONFLICT (<key>) DO UPDATE SET` of every other column (no `INSERT OR REPLACE`). */
  upsertSql(key: readonly (keyof R)[]): string;
  /** The same table, with only these fields (kept in declaration order). */
  pick<K extends keyof R>(...fields: K[]): Table<Pick<R, K>>;
  /** The same table, without these fields. */
  omit<K extends keyof R>(...fields: K[]): Table<Omit<R, K>>;
}

/** The record type a table declaration derives (see {@link defineTable}). */
export type RecordOf<T> = T extends Table<infer R> ? R : never;

/**
 * Declares a table. `R` is inferred from the columns (`RecordOf<typeof TABLE>` is then the
 * record type), or given when the record is declared elsewhere: the columns must then
 * match its fields exactly, one column per field, each of the field's own type.
 */
export function defineTable<R>(name: string, columns: ColumnsOf<R>): Table<R> {
  const fields = Object.keys(columns) as (keyof R & string)[];
  // In an object literal this key would set the prototype rather than a field.
  if (fields.includes('__proto__' as keyof R & string)) {
    throw new Error(`${name}: no field may be named __proto__`);
  }
  const names = fields.map((field) => columns[field].name);
  const list = names.join(', ');
  const fromRow = compileFromRow<R>(fields, columns);
  const subset = <S>(keep: (field: string) => boolean): Table<S> => {
    const kept = Object.fromEntries(fields.filter(keep).map((field) => [field, columns[field]]));
    return defineTable<S>(name, kept as unknown as ColumnsOf<S>);
  };
  return {
    name,
    columns,
    columnNames: names,
    list,
    fromRow,
    toParams: compileToParams<R>(fields, columns),
    select<P extends unknown[]>(db: Database.Database, clause: string): Query<R, P> {
      const statement = db.prepare<unknown[], unknown[]>(`SELECT ${list} FROM ${name} ${clause}`).raw();
      return {
        all: (...params) => statement.all(...params).map(fromRow),
        get: (...params) => {
          const row = statement.get(...params);
          return row === undefined ? undefined : fromRow(row);
        },
      };
    },
    insertSql: () => `INSERT INTO ${name} (${list}) VALUES (${names.map((c) => `@${c}`).join(', ')})`,
    upsertSql(key) {
      const keyNames = key.map((field) => columns[field].name);
      const updates = names.filter((c) => !keyNames.includes(c)).map((c) => `${c} = excluded.${c}`);
      return (
        `INSERT INTO ${name} (${list}) VALUES (${names.map((c) => `@${c}`).join(', ')}) ` +
        `ON CONFLICT (${keyNames.join(', ')}) DO UPDATE SET ${updates.join(', ')}`
      );
    },
    pick: <K extends keyof R>(...picked: K[]) =>
      subset<Pick<R, K>>((field) => (picked as string[]).includes(field)),
    omit: <K extends keyof R>(...omitted: K[]) =>
      subset<Omit<R, K>>((field) => !(omitted as string[]).includes(field)),
  };
}

// The mappers are compiled to one object literal each, so every record of a table has
// the same shape from the start and no row walks the declaration. Only JSON-quoted names
// and array indexes reach the generated source; the conversions are passed in as
// functions, and a column bound as it is gets no call at all.
const quote = (s: string): string => JSON.stringify(s);

/** `(row) => ({ field: read[i](row[i]), … })` */
function compileFromRow<R>(
  fields: readonly (keyof R & string)[],
  columns: ColumnsOf<R>,
): Table<R>['fromRow'] {
  const reads = fields.map((field) => columns[field].read);
  const body = fields.map((field, i) => `${quote(field)}: read[${i}](row[${i}])`).join(', ');
  return new Function('read', `"use strict"; return function fromRow(row) { return { ${body} }; };`)(reads);
}

/** `(record) => ({ column: record.field, column: write[i](record.field), … })` */
function compileToParams<R>(
  fields: readonly (keyof R & string)[],
  columns: ColumnsOf<R>,
): Table<R>['toParams'] {
  const writes = fields.map((field) => columns[field].write);
  const body = fields
    .map((field, i) => {
      const value = `record[${quote(field)}]`;
      return `${quote(columns[field].name)}: ${writes[i] === asIs ? value : `write[${i}](${value})`}`;
    })
    .join(', ');
  return new Function('write', `"use strict"; return function toParams(record) { return { ${body} }; };`)(
    writes,
  );
}
