import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  collectNoticePackages,
  generateNotices,
  importedPackages,
  renderNotices,
  resolvePackageDir,
  shippedRoots,
} from './third-party-notices.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const dir = mkdtempSync(path.join(tmpdir(), 'cr-notices-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function put(rel: string, content: string | object): void {
  const file = path.join(dir, rel);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
}

// A project: two production dependencies (one nesting another version of a shared
// package), a devDependency imported by the renderer, one only used by tests and tools.
put('package.json', {
  name: 'app',
  version: '2.0.0',
  dependencies: { alpha: '^1', '@scope/beta': '^1' },
  devDependencies: { 'ui-lib': '^1', 'test-tool': '^1', 'types-only': '^1' },
});
put('node_modules/alpha/package.json', {
  name: 'alpha',
  version: '1.0.0',
  license: 'MIT',
  repository: { url: 'git+https://github.com/example/alpha.git' },
  dependencies: { shared: '^2' },
  optionalDependencies: { 'other-platform-binary': '^1' },
  devDependencies: { 'test-tool': '^1' },
});
put('node_modules/alpha/LICENSE', 'MIT License\r\n\r\nCopyright (c) Alpha authors\r\n');
put('node_modules/@scope/beta/package.json', {
  name: '@scope/beta',
  version: '1.2.0',
  license: 'Apache-2.0',
  dependencies: { shared: '^1' },
});
put('node_modules/@scope/beta/LICENSE.txt', 'Apache License 2.0 text');
put('node_modules/@scope/beta/NOTICE', 'Beta includes software by Example Corp.');
put('node_modules/@scope/beta/node_modules/shared/package.json', {
  name: 'shared',
  version: '1.0.0',
  licenses: [{ type: 'BSD-3-Clause' }],
});
put('node_modules/@scope/beta/node_modules/shared/COPYING', 'BSD text for shared 1');
put('node_modules/shared/package.json', { name: 'shared', version: '2.0.0', license: 'ISC' });
put('node_modules/ui-lib/package.json', {
  name: 'ui-lib',
  version: '3.0.0',
  license: 'MIT',
  dependencies: { 'ui-helper': '^1' },
});
put('node_modules/ui-lib/LICENSE.md', 'ui-lib licence');
put('node_modules/ui-helper/package.json', { name: 'ui-helper', version: '1.0.0', license: 'MIT' });
put('node_modules/test-tool/package.json', { name: 'test-tool', version: '9.0.0', license: 'MIT' });
put('node_modules/types-only/package.json', { name: 'types-only', version: '1.0.0', license: 'MIT' });
put(
  'renderer/src/app.tsx',
  [
    "import { useState } from 'ui-lib';",
    "import type { Props } from 'types-only';",
    "import { join } from 'node:path';",
    "import './styles.css';",
    "export { thing } from '../shared/thing.js';",
    "const lazy = () => import('ui-lib/lazy');",
  ].join('\n'),
);
put('renderer/src/app.test.tsx', "import { it } from 'test-tool';");
put('src/shared/thing.ts', "import { z } from 'alpha';\nexport const thing = z;");

describe('third-party notices', () => {
  it('resolves packages the way Node does, nearest node_modules first', () => {
    expect(resolvePackageDir('shared', path.join(dir, 'node_modules/@scope/beta'), dir)).toBe(
      path.join(dir, 'node_modules/@scope/beta/node_modules/shared'),
    );
    expect(resolvePackageDir('shared', path.join(dir, 'node_modules/alpha'), dir)).toBe(
      path.join(dir, 'node_modules/shared'),
    );
    expect(resolvePackageDir('absent', dir, dir)).toBeUndefined();
  });

  it('finds what the renderer and shared code import at runtime, not types, tests or built-ins', () => {
    expect(shippedRoots(dir)).toEqual(['@scope/beta', 'alpha', 'ui-lib']);
    expect(
      importedPackages([path.join(dir, 'renderer/src/app.tsx'), path.join(dir, 'renderer/src/app.test.tsx')]),
    ).toEqual(['test-tool', 'ui-lib']);
  });

  it('walks production dependencies (both versions of a shared package), skipping devDependencies and absent optional ones', () => {
    const packages = collectNoticePackages(dir, shippedRoots(dir));
    expect(packages.map((p) => `${p.name}@${p.version} ${p.license}`)).toEqual([
      '@scope/beta@1.2.0 Apache-2.0',
      'alpha@1.0.0 MIT',
      'shared@1.0.0 BSD-3-Clause',
      'shared@2.0.0 ISC',
      'ui-helper@1.0.0 MIT',
      'ui-lib@3.0.0 MIT',
    ]);
    const beta = packages.find((p) => p.name === '@scope/beta')!;
    expect(beta.texts.map((t) => t.file)).toEqual(['LICENSE.txt', 'NOTICE']);
    expect(packages.find((p) => p.name === 'alpha')).toMatchObject({
      repository: 'https://github.com/example/alpha',
      texts: [{ file: 'LICENSE', text: 'MIT License\n\nCopyright (c) Alpha authors' }],
    });
  });

  it('fails loudly when a required dependency is not installed', () => {
    expect(() => collectNoticePackages(dir, ['nowhere'])).toThrow(
      /nowhere \(needed by package\.json\) is not installed/,
    );
  });

  it('renders a summary and every licence text, saying when a package ships none', () => {
    const text = renderNotices(
      { name: 'Control Room', version: '2.0.0' },
      collectNoticePackages(dir, shippedRoots(dir)),
    );
    expect(text).toMatch(/^THIRD-PARTY SOFTWARE NOTICES\n/);
    expect(text).toContain('Control Room 2.0.0 includes');
    expect(text).toContain('6 packages:');
    expect(text).toContain('  alpha 1.0.0 (MIT)');
    expect(text).toContain('Copyright (c) Alpha authors');
    expect(text).toContain('Beta includes software by Example Corp.');
    expect(text).toContain('BSD text for shared 1');
    expect(text).toContain(
      'ui-helper 1.0.0\nLicense: MIT\n\nThe package ships no licence file; its package.json declares: MIT.',
    );
    expect(text).not.toContain('test-tool');
    expect(text.endsWith('\n')).toBe(true);
  });

  it('covers this project: the runtime dependencies and the bundled UI libraries, not the tooling', () => {
    const { text, packages } = generateNotices(ROOT);
    const names = new Set(packages.map((p) => p.name));
    for (const name of [
      'better-sqlite3',
      'ws',
      'zod',
      '@anthropic-ai/sdk',
      'react',
      'react-dom',
      'scheduler',
      'zustand',
      '@dnd-kit/core',
    ]) {
      expect(names.has(name), name).toBe(true);
    }
    for (const name of [
      'electron',
      'vitest',
      'vite',
      'eslint',
      'typescript',
      'electron-builder',
      '@playwright/test',
    ]) {
      expect(names.has(name), name).toBe(false);
    }
    expect(packages.filter((p) => p.license === 'UNKNOWN')).toEqual([]);
    expect(text).toContain('Copyright (c) Meta Platforms, Inc. and affiliates.');
  });
});
