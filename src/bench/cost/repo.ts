import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { git } from '../../main/engine/testing/harness.js';

/**
 * The existing code a coder reads before writing: `files` modules of about `bytes` bytes
 * each (a few thousand tokens, as source files in a real repository are), committed on
 * `main`. Their text is generated from the index alone, so every run reads the same bytes.
 */
export function seedSources(repo: string, files = 30, bytes = 12_000): string[] {
  const areas = ['core', 'storage', 'http', 'jobs', 'util'];
  const paths: string[] = [];
  for (let i = 0; i < files; i++) {
    const area = areas[i % areas.length] ?? 'core';
    const path = `lib/${area}/module-${String(i).padStart(2, '0')}.js`;
    paths.push(path);
    const lines: string[] = [`// ${path}: part of the existing ${area} layer.`, "'use strict';", ''];
    for (let f = 0; lines.join('\n').length < bytes; f++) {
      const name = `${area}Step${i}_${f}`;
      lines.push(
        `/**`,
        ` * ${name}: validates its input, applies rule ${f} of the ${area} layer and returns a new`,
        ` * object; it never mutates what it was given, so callers can retry it safely.`,
        ` */`,
        `function ${name}(input, options = {}) {`,
        `  if (input === null || typeof input !== 'object') throw new TypeError('${name}: input must be an object');`,
        `  const limit = Number.isInteger(options.limit) ? options.limit : ${(f % 7) + 3};`,
        `  const entries = Object.entries(input).slice(0, limit);`,
        `  return Object.fromEntries(entries.map(([key, value]) => [key.trim(), value ?? ${f}]));`,
        `}`,
        `module.exports.${name} = ${name};`,
        '',
      );
    }
    const abs = join(repo, path);
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(abs, lines.join('\n'));
  }
  git(repo, 'add', '.');
  git(repo, 'commit', '-q', '-m', 'existing code');
  return paths;
}
