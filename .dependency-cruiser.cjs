// The layering of ARCHITECTURE.md, checked by `npm run lint` (`lint:boundaries`):
//
//   shared <- main's lower folders (ledger, limiter, llm, workspace, tools, http)
//          <- calls <- engine, fleet, settings <- api <- app <- host <- server, cli <- electron
//   shared <- renderer
//
// Each folder of src/main may import only what its README's "May import" line names; the
// map below is that line, one entry per folder. Because the map is a ladder (no folder
// lists one above it), no import cycle between folders can pass. Tests are left out of the
// folder rules: an integration test drives its folder through the ones above it (an API
// handler's test opens the whole backend), and nothing imports a test.

/** What each folder of src/main may import from the other folders of src/main. */
const MAY_IMPORT = {
  // The lower folders: leaves, or leaning only on each other's plain types.
  http: [],
  limiter: [],
  llm: [],
  workspace: [],
  ledger: ['llm'],
  tools: ['llm', 'workspace'],
  // How a call is admitted, limited, sent and billed.
  calls: ['http', 'ledger', 'limiter', 'llm'],
  // The engine and the folders beside it, which never import each other.
  engine: ['calls', 'ledger', 'limiter', 'llm', 'tools', 'workspace'],
  fleet: ['http', 'tools', 'workspace'],
  settings: ['ledger', 'limiter', 'llm'],
  // The contract's handlers, then the composition root that builds everything.
  api: ['calls', 'engine', 'fleet', 'ledger', 'limiter', 'llm', 'settings', 'tools', 'workspace'],
  app: ['api', 'calls', 'engine', 'fleet', 'http', 'ledger', 'limiter', 'llm', 'settings', 'tools', 'workspace'],
  // The engine in a worker thread, and the transports and commands on top of it.
  host: ['api', 'app', 'settings'],
  server: ['api', 'app', 'host'],
  cli: ['api', 'app', 'engine', 'fleet', 'host', 'ledger', 'server', 'settings', 'workspace'],
};

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

module.exports = {
  forbidden: [
    ...folderRules,
    {
      name: 'main-folder-listed',
      comment: 'Every file of src/main sits in a folder that has a "May import" entry above (and a README).',
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
    exclude: { path: '^(node_modules|dist|release|e2e/\\.artifacts)/' },
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
