// The installer pipeline after `npm run build`: better-sqlite3 for Electron's ABI, the
// third-party notices, the file-set checks, then electron-builder for one platform.
//   node electron/scripts/dist.mjs [--linux | --mac | --win] [-- <electron-builder flags, e.g. --dir>]
// Without a platform flag it builds for this machine's.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { loadTs, ROOT } from './load-ts.mjs';

const args = process.argv.slice(2);
const split = args.indexOf('--');
const own = split === -1 ? args : args.slice(0, split);
const passThrough = split === -1 ? [] : args.slice(split + 1);

const tasks = await loadTs('electron/builder/dist-tasks.ts');
const log = (line) => console.log(`[dist] ${line}`);

function fail(message) {
  console.error(`[dist] ${message}`);
  process.exit(1);
}

const flags = own.filter((a) => ['--linux', '--mac', '--win'].includes(a));
const unknown = own.filter((a) => !flags.includes(a));
if (unknown.length > 0 || flags.length > 1) {
  fail(`usage: node electron/scripts/dist.mjs [--linux | --mac | --win] [-- electron-builder flags]`);
}
const host = tasks.hostOs();
const os = flags.length === 1 ? flags[0].slice(2) : host;
const problem = tasks.crossBuildProblem(os, host);
if (problem) fail(problem);

try {
  const archs = tasks.distArchs(os);
  await tasks.prepareNative({ rootDir: ROOT, os, archs, log });
  const notices = tasks.writeNotices(ROOT);
  log(`Wrote ${notices.file} (${notices.count} packages).`);
  for (const arch of archs) tasks.preflight(ROOT, os, arch);
  log('The app file set passed its checks.');
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}

const builder = join(ROOT, 'node_modules', 'electron-builder', 'cli.js');
const child = spawn(process.execPath, [builder, ...tasks.electronBuilderArgs(os, passThrough)], {
  cwd: ROOT,
  stdio: 'inherit',
});
child.on('close', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
