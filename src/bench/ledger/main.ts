// `npm run bench:ledger [-- --rows N]`: write throughput and dashboard query latency at
// a million call rows (fewer with --rows for a quick look). Prints figures; not a test.
import { parseArgs } from 'node:util';
import { runLedgerBench } from './bench-ledger.js';

const { values } = parseArgs({ options: { rows: { type: 'string' } } });
const rows = values.rows === undefined ? 1_000_000 : Number(values.rows);
if (!Number.isInteger(rows) || rows < 1_000) {
  console.error('--rows must be a whole number of at least 1000');
  process.exit(2);
}
await runLedgerBench({ rows });
