import { describe, expect, it } from 'vitest';

// The folder rules of renderer/README.md, checked here because the repository's lint
// boundaries stop at "the renderer takes only src/shared". Tests are left out: they may
// reach anything they drive.

/** Every source of renderer/src by its path from there ('store/state.ts'), tests left out. */
const SOURCES: Record<string, string> = Object.fromEntries(
  Object.entries(
    import.meta.glob<string>(['./**/*.{ts,tsx}', '!./**/*.test.{ts,tsx}'], {
      query: '?raw',
      import: 'default',
      eager: true,
    }),
  ).map(([path, text]) => [path.slice(2), text]),
);

/** What each folder may import from the others (src/shared is open to all). */
const MAY_IMPORT: Record<string, readonly string[]> = {
  api: [],
  lib: [],
  domain: ['lib'],
  store: ['api', 'domain', 'lib'],
  ui: ['domain', 'lib'],
  features: ['domain', 'lib', 'store', 'ui'],
  app: ['domain', 'features', 'lib', 'store', 'ui'],
};
/** And these for their types only. */
const TYPES_ONLY: Record<string, readonly string[]> = { ui: ['store'] };
/** Pure models: nothing that renders or holds state. */
const NO_PACKAGES: Record<string, readonly string[]> = { domain: ['react', 'react-dom', 'zustand'] };

interface Import {
  from: string;
  /** A file of renderer/src (its path from there), or a package name. */
  to: string;
  isPackage: boolean;
  typeOnly: boolean;
}

function importsOf(from: string, text: string): Import[] {
  const found: Import[] = [];
  for (const m of text.matchAll(/^(?:import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?'([^']+)'/gm)) {
    const [, type, spec = ''] = m;
    if (spec.endsWith('.css')) continue;
    if (!spec.startsWith('.')) {
      found.push({ from, to: spec, isPackage: true, typeOnly: type !== undefined });
      continue;
    }
    const target = new URL(spec, `file:///renderer/src/${from}`).pathname.replace(/\.js$/, '');
    // Outside renderer/src: src/shared and the rest of the repository, left to the lint.
    if (!target.startsWith('/renderer/src/')) continue;
    const path = target.slice('/renderer/src/'.length);
    const to = [`${path}.ts`, `${path}.tsx`].find((f) => f in SOURCES) ?? path;
    found.push({ from, to, isPackage: false, typeOnly: type !== undefined });
  }
  return found;
}

const folderOf = (path: string) => (path.includes('/') ? path.slice(0, path.indexOf('/')) : '');
const imports = Object.entries(SOURCES).flatMap(([path, text]) => importsOf(path, text));

describe('renderer layering', () => {
  it('imports across folders only as renderer/README.md allows', () => {
    const wrong = imports
      .filter(({ from, to, isPackage, typeOnly }) => {
        const [a, b] = [folderOf(from), folderOf(to)];
        if (isPackage || !(a in MAY_IMPORT) || a === b) return false;
        if (b === 'testing') return true;
        if (typeOnly && TYPES_ONLY[a]?.includes(b)) return false;
        return !MAY_IMPORT[a]!.includes(b);
      })
      .map(({ from, to }) => `${from} -> ${to}`);
    expect(wrong).toEqual([]);
  });

  it('keeps the domain free of React and zustand', () => {
    const wrong = imports
      .filter(
        ({ from, to, isPackage }) =>
          isPackage && NO_PACKAGES[folderOf(from)]?.some((p) => to === p || to.startsWith(`${p}/`)),
      )
      .map(({ from, to }) => `${from} -> ${to}`);
    expect(wrong).toEqual([]);
  });

  it('has no import cycle, types included', () => {
    const edges = new Map<string, string[]>();
    for (const { from, to, isPackage } of imports)
      if (!isPackage) edges.set(from, [...(edges.get(from) ?? []), to]);
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (file: string, path: string[]) => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'open') {
        cycles.push([...path.slice(path.indexOf(file)), file].join(' -> '));
        return;
      }
      state.set(file, 'open');
      for (const next of edges.get(file) ?? []) visit(next, [...path, file]);
      state.set(file, 'done');
    };
    for (const file of edges.keys()) visit(file, []);
    expect(cycles).toEqual([]);
  });
});
