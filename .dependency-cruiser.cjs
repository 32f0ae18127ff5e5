// The layering of ARCHITECTURE.md, checked by `npm run lint` (`lint:boundaries`):
//
//   shared <- main's lower folders (ledger, limiter, llm, workspace, tools, http)
//          <- calls <- engine, fleet, settings <- api <- app <- host <- server, cli <- electron
//   shared <- renderer
//
// Each folder of src/main may import only the folders its README's "May import:" line
// names (as `folder/` in backticks); the rules below are built from those lines, so a
// README cannot say one thing while the code does another, and a folder without a README
// (or without that line) stops the check. The lines form a ladder (no folder names one
// above it), and no-folder-cycle checks that they stay one. Tests are left out of the
// folder rules: an integration test drives its folder through the ones above it (an API
// handler's test opens the whole backend), and nothing imports a test.
const { readdirSync, readFileSync, statSync } = require('node:fs');
const { join } = require('node:path');

const MAIN = join(__dirname, 'src', 'main');

/** The folders a README's "May import:" sentence names, e.g. `ledger/`, `llm/`. */
function mayImport(folder) {
  let text;
  try {
    text = readFileSync(join(MAIN, folder, 'README.md'), 'utf8');
  } catch {
    throw new Error(`src/main/${folder} has no README.md saying what it may import`);
  }
  const line = /^May import:(.*)$/m.exec(text);
  if (!line) throw new Error(`src/main/${folder}/README.md has no "May import:" line`);
  // The sentence ends at its full stop; what follows ("Never …") is prose.
  const sentence = line[1].split(/\.(\s|$)/)[0];
  return [...sentence.matchAll(/`([a-z][a-z0-9-]*)\/`/g)].map((m) => m[1]);
}

const MAY_IMPORT = Object.fromEntries(
  readdirSync(MAIN)
    .filter((name) => statSync(join(MAIN, name)).isDirectory())
    .map((folder) => [folder, mayImport(folder)]),
);

const folderRules = Object.entries(MAY_IMPORT).map(([folder, allowed]) => ({
  name: `main-${folder}-imports`,
  comment: `src/main/${folder} may import only ${allowed.length ? allowed.join(', ') : 'src/shared'} of src/main (its README's "May import").`,
  severity: 'error',
  from: { path: `^src/main/${folder}/`, pathNot: '\\.test\\.tsx?$' },
  to: {
    path: '^src/main/',
    pathNot: [`^src/main/(${[folder, ...allowed].join('|')})/`, '/testing/', '^src/main/tsconfig'],
  },
}));

// The renderer's folders (renderer/README.md's table): what each may import from the others
// of renderer/src (src/shared is open to all; main.tsx puts it together and may import
// anything). ui may also take the store's types.
const RENDERER_MAY_IMPORT = {
  api: [],
  lib: [],
  domain: ['lib'],
  store: ['api', 'domain', 'lib'],
  ui: ['domain', 'lib'],
  features: ['domain', 'features', 'lib', 'store', 'ui'],
  app: ['domain', 'features', 'lib', 'store', 'ui'],
};
const RENDERER_TYPES_ONLY = { ui: ['store'] };

const rendererRules = Object.entries(RENDERER_MAY_IMPORT).map(([folder, allowed]) => ({
  name: `renderer-${folder}-imports`,
  comment: `renderer/src/${folder} may import only ${allowed.length ? allowed.join(', ') : 'src/shared'} of the renderer (renderer/README.md).`,
  severity: 'error',
  from: { path: `^renderer/src/${folder}/`, pathNot: '\\.test\\.tsx?$' },
  to: {
    path: '^renderer/src/[^/]+/',
    pathNot: [`^renderer/src/(${[folder, ...allowed].join('|')})/`, ...(RENDERER_TYPES_ONLY[folder] ?? []).map((f) => `^renderer/src/${f}/`)],
  },
}));
const rendererTypesOnlyRules = Object.entries(RENDERER_TYPES_ONLY).map(([folder, typesFrom]) => ({
  name: `renderer-${folder}-takes-types-only`,
  comment: `renderer/src/${folder} takes only types from ${typesFrom.join(', ')}.`,
  severity: 'error',
  from: { path: `^renderer/src/${folder}/`, pathNot: '\\.test\\.tsx?$' },
  to: { path: `^renderer/src/(${typesFrom.join('|')})/`, dependencyTypesNot: ['type-only'] },
}));

module.exports = {
  forbidden: [
    ...folderRules,
    ...rendererRules,
    ...rendererTypesOnlyRules,
    {
      name: 'renderer-domain-is-pure',
      comment: 'renderer/src/domain holds pure models: nothing that renders or holds state.',
      severity: 'error',
      from: { path: '^renderer/src/domain/', pathNot: '\\.test\\.tsx?$' },
      to: { path: 'node_modules/(react|react-dom|zustand)/' },
    },
    {
      name: 'renderer-no-cycle',
      comment: 'No import cycle in the renderer, type-only imports included.',
      severity: 'error',
      from: { path: '^renderer/src/', pathNot: '\\.test\\.tsx?$' },
      to: { circular: true },
    },
    {
      name: 'main-folder-listed',
      comment: 'Every file of src/main sits in one of its folders (each with a README that says what it may import).',
      severity: 'error',
      from: {},
      to: { path: '^src/main/', pathNot: [`^src/main/(${Object.keys(MAY_IMPORT).join('|')})/`] },
    },
    {
      name: 'no-folder-cycle',
      comment: 'No import cycle that leaves a folder of src/main and comes back to it.',
      severity: 'error',
      from: { path: '^src/main/([^/]+)/', pathNot: '\\.test\\.tsx?$' },
      to: { circular: true, viaSomeNot: '^src/main/$1/' },
    },
    {
      name: 'shared-is-neutral',
      comment: 'src/shared is environment-neutral: it imports nothing of main, the renderer or electron.',
      severity: 'error',
      from: { path: '^src/shared/' },
      to: { path: '^(src/main|src/bench|renderer|electron)/' },
    },
    {
      name: 'renderer-takes-only-shared',
      comment: 'The renderer takes only src/shared from the Node side.',
      severity: 'error',
      from: { path: '^renderer/' },
      to: { path: '^(src/main|src/bench|electron)/' },
    },
    {
      name: 'nothing-imports-bench',
      comment: 'Benchmarks sit outside the layers they measure: nothing of the product imports them.',
      severity: 'error',
      from: { pathNot: '^src/bench/' },
      to: { path: '^src/bench/' },
    },
    {
      name: 'fakes-stay-in-tests',
      comment: 'Test fakes live in testing/ folders, and only tests, benches and other fakes use them.',
      severity: 'error',
      from: { path: '^(src|electron)/', pathNot: ['\\.test\\.tsx?$', '/testing/', '^src/bench/', '^src/vitest\\.config\\.ts$'] },
      to: { path: '/testing/' },
    },
    {
      name: 'only-electron-imports-electron',
      comment: 'Only electron/ imports the electron module.',
      severity: 'error',
      from: { pathNot: '^electron/' },
      to: { path: '^electron$|node_modules/electron/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // node_modules is not followed but stays visible, so rules can name packages.
    exclude: { path: '^(dist|release|e2e/\\.artifacts)/' },
    tsPreCompilationDeps: true,
    // Sources import each other as `./x.js` (TypeScript's bundler resolution), which
    // dependency-cruiser resolves to `x.ts` by itself.
    enhancedResolveOptions: {
      extensions: ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.json'],
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
    },
    moduleSystems: ['es6', 'cjs'],
  },
};
