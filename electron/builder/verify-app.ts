import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { AppFileSet } from './app-files.js';

/** The first-party files an app must contain, whatever else the build adds. */
const REQUIRED = [
  'package.json',
  'dist/electron/main.js',
  'dist/electron/preload.cjs',
  'dist/electron/backend-worker.cjs',
  'dist/renderer/index.html',
];
const ALLOWED_APP_FILE =
  /^(package\.json|dist\/electron\/(main\.js|preload\.cjs|backend-worker\.cjs)|dist\/renderer\/.+)$/;

/** The bundle the engine runs from (its worker thread), where the migrations and prices are inlined. */
export const ENGINE_BUNDLE = 'dist/electron/backend-worker.cjs';

/**
 * Why a file must never be inside the app, or undefined when it may be: tests, source
 * maps, sources, specs, docs, env files and databases.
 */
export function forbiddenReason(rel: string): string | undefined {
  const base = path.posix.basename(rel);
  if (/\.(test|spec)\.[cm]?[jt]sx?$/.test(base)) return 'a test';
  if (base.endsWith('.map')) return 'a source map';
  if (/^(src|e2e|docs|renderer\/src)\//.test(rel)) return 'sources, specs or docs';
  if (rel.startsWith('electron/')) return 'Electron sources';
  if (base.startsWith('.env')) return 'an env file';
  if (/\.db(-wal|-shm|-journal)?$/.test(base)) return 'a database';
  if (!rel.startsWith('node_modules/') && /\.(ts|tsx|md)$/.test(base)) return 'a source or doc file';
  return undefined;
}

/** An Anthropic key in any file, or this machine's key value, by the line it is on. */
export function secretsIn(text: string, keyValue: string | undefined): string[] {
  const found: string[] = [];
  if (/sk-ant-[a-z0-9]+-[A-Za-z0-9_-]{20,}/.test(text)) found.push('an sk-ant- key');
  if (/ANTHROPIC_API_KEY\s*[=:]\s*['"]?sk-/.test(text)) found.push('an ANTHROPIC_API_KEY value');
  if (keyValue && keyValue.length >= 8 && text.includes(keyValue))
    found.push("this machine's ANTHROPIC_API_KEY");
  return found;
}

/**
 * Checks a computed file set against what an app must and must not contain: the built
 * entry points and renderer, every migration's SQL inlined in the engine's bundle (they are
 * not shipped as files), the price table inlined, nothing forbidden, no native binary
 * inside the archive, no secrets in any file. Answers the problems, one line each.
 */
export function checkAppFiles(
  rootDir: string,
  set: AppFileSet,
  env: NodeJS.ProcessEnv = process.env,
): string[] {
  const problems: string[] = [];
  for (const rel of REQUIRED)
    if (!set.app.includes(rel)) problems.push(`${rel} is missing (was npm run build run?)`);
  if (!set.app.some((f) => /^dist\/renderer\/assets\/.+\.js$/.test(f)))
    problems.push('dist/renderer/assets has no script');
  for (const rel of set.app) if (!ALLOWED_APP_FILE.test(rel)) problems.push(`${rel} is not app content`);
  for (const rel of [...set.app, ...set.nodeModules]) {
    const reason = forbiddenReason(rel);
    if (reason) problems.push(`${rel} is ${reason}`);
  }
  for (const rel of [...set.app, ...set.nodeModules]) {
    if (rel.endsWith('.node')) problems.push(`${rel}: native binaries ship only in resources/native`);
  }

  const engine = set.app.includes(ENGINE_BUNDLE)
    ? readFileSync(path.join(rootDir, ENGINE_BUNDLE), 'utf8')
    : '';
  const migrationsDir = path.join(rootDir, 'src/main/ledger/migrations');
  for (const file of readdirSync(migrationsDir)
    .filter((f) => f.endsWith('.sql'))
    .sort()) {
    const sql = readFileSync(path.join(migrationsDir, file), 'utf8');
    // esbuild's text loader emits a JSON-style string literal.
    if (!engine.includes(JSON.stringify(sql).slice(1, -1)) && !engine.includes(sql)) {
      problems.push(`migration ${file} is not inlined in ${ENGINE_BUNDLE} (a stale build?)`);
    }
  }
  const pricing = JSON.parse(readFileSync(path.join(rootDir, 'resources/pricing.json'), 'utf8')) as {
    note?: string;
  };
  if (pricing.note && !engine.includes(JSON.stringify(pricing.note).slice(1, -1))) {
    problems.push(`the price table (resources/pricing.json) is not inlined in ${ENGINE_BUNDLE}`);
  }

  const keyValue = env.ANTHROPIC_API_KEY?.trim();
  for (const rel of [...set.app, ...set.nodeModules]) {
    const full = path.join(rootDir, rel);
    if (statSync(full).size > 32 * 1024 * 1024) continue;
    for (const leak of secretsIn(readFileSync(full, 'latin1'), keyValue))
      problems.push(`${rel} contains ${leak}`);
  }
  return problems;
}
