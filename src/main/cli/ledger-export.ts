import { createWriteStream, existsSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { exportCalls, type ExportFormat } from '../ledger/export.js';
import { openLedger } from '../ledger/database.js';
import { DATABASE_FILE, defaultDataDir } from '../app/paths.js';
import { stringOption, UsageError, type OptionSpecs, type ParsedArgs } from './args.js';
import type { CliIo } from './cli-io.js';

/** The options of `control-room ledger export`, as its help shows them. */
export const LEDGER_EXPORT_OPTIONS = {
  db: { type: 'string', valueName: 'FILE', description: "The ledger to read (default: the app's)" },
  format: {
    type: 'string',
    valueName: 'csv|json',
    description: 'CSV for a spreadsheet (names, ISO times, dollars), or one JSON array of the raw rows (default: csv)',
  },
  out: {
    type: 'string',
    valueName: 'FILE',
    description: 'Write here instead of to stdout (replaced only once complete)',
  },
} as const satisfies OptionSpecs;

/**
 * `control-room ledger export`: every row of the calls ledger, in id order, streamed so a
 * ledger of millions of calls never sits in memory. CSV is for people (mission, team,
 * agent and task names, ISO times in UTC, exact decimal dollars, the ids at the end); JSON
 * keeps the ledger's raw columns (epoch milliseconds, integer nano-dollars) for programs.
 * With `--out`, the rows go to `FILE.partial` first and replace FILE only when the export
 * is complete, so a failed export never leaves half a file where a good one was.
 */
export async function ledgerExportCommand(args: ParsedArgs, io: CliIo): Promise<number> {
  const format = stringOption(args, 'format') ?? 'csv';
  if (format !== 'csv' && format !== 'json')
    throw new UsageError(`--format must be csv or json, not '${format}'`);
  const dbPath = resolve(
    stringOption(args, 'db') ?? join(defaultDataDir(process.platform, io.env), DATABASE_FILE),
  );
  // Opening would create an empty ledger; an export of a file that is not there is a mistake.
  if (!existsSync(dbPath)) throw new Error(`no ledger at "${dbPath}"`);
  const outOption = stringOption(args, 'out');

  const ledger = openLedger(dbPath);
  try {
    if (outOption === undefined) {
      const { rows } = await exportCalls(ledger.db, format as ExportFormat, textSink(io));
      io.stderr.write(`Exported ${rows} calls.\n`);
      return 0;
    }
    const target = resolve(outOption);
    const partial = `${target}.partial`;
    const file = createWriteStream(partial);
    try {
      const { rows } = await exportCalls(ledger.db, format as ExportFormat, file);
      await new Promise<void>((done, fail) => {
        file.once('error', fail);
        file.end(() => done());
      });
      renameSync(partial, target);
      io.stdout.write(`Exported ${rows} calls to ${target}\n`);
      return 0;
    } catch (error) {
      file.destroy();
      rmSync(partial, { force: true });
      throw error;
    }
  } finally {
    ledger.close();
  }
}

/** A Writable over the CLI's stdout (process.stdout, or a collector in tests). */
function textSink(io: CliIo): Writable {
  if (io.stdout instanceof Writable) return io.stdout;
  return new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      io.stdout.write(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
      callback();
    },
  });
}
