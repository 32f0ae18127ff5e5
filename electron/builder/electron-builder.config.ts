// electron-builder's configuration, loaded by `electron-builder --config` (through jiti,
// so TypeScript is fine) from the dist pipeline (electron/scripts/dist.mjs). Paths are
// relative to the repository root.
import type { Configuration } from 'electron-builder';
import { afterPack } from './after-pack.js';

export const APP_ID = 'dev.controlroom.app';
export const PRODUCT_NAME = 'Control Room';

/**
 * Where the dist pipeline stages the Electron-ABI better-sqlite3 per target
 * (`<os>-<arch>/better_sqlite3.node`, os being mac, linux or win). Outside the app's own
 * node_modules tree on purpose: the Node build there is what the tests load.
 */
export const NATIVE_STAGING_DIR = 'node_modules/.cache/control-room-native';

/** Written by the dist pipeline before packaging; shipped beside app.asar. */
export const NOTICES_FILE = 'dist/THIRD_PARTY_NOTICES.txt';

export const ICONS_DIR = 'resources/icons';

const config: Configuration = {
  appId: APP_ID,
  productName: PRODUCT_NAME,
  copyright: 'Copyright © Control Room contributors',
  directories: {
    output: 'release',
    // Only the mac entitlements live here; the icons are named explicitly below.
    buildResources: 'electron/builder',
  },

  // What goes into app.asar: the four built entry points and package.json (added by
  // electron-builder). Sources, tests, docs, maps and data never match these; the
  // production dependencies of package.json are added by electron-builder and trimmed by
  // the `!` patterns, which it also applies inside node_modules.
  files: [
    'dist/electron/main.js',
    'dist/electron/preload.cjs',
    // The engine's thread (ledger, migrations, price table): main.js starts it beside itself.
    'dist/electron/backend-worker.cjs',
    'dist/renderer/**/*',
    '!**/*.map',
    '!**/*.{test,spec}.*',
    // better-sqlite3's JavaScript stays (main loads it; its `bindings` lookup is bypassed
    // by the nativeBinding option); its Node-ABI build, C sources and SQLite amalgamation
    // are useless in the app: the Electron build ships in resources/native.
    '!**/node_modules/better-sqlite3/{build,deps,src,benchmark,docs}{,/**/*}',
    '!**/node_modules/**/{README,readme,Readme,CHANGELOG,changelog,HISTORY,History}{,.md,.markdown,.txt}',
    '!**/node_modules/**/*.{ts,mts,cts,md,markdown}',
    // msgpackr (BullMQ's encoder, for the fleet) uses its native extractor when present and
    // its JavaScript one otherwise: the prebuilt Node-ABI binaries would not load in
    // Electron anyway, and native code ships only in resources/native.
    '!**/node_modules/{msgpackr-extract,@msgpackr-extract}{,/**/*}',
    // The OS keychain library serves browser mode and the CLI (src/main/settings/
    // user-secret-store.ts, loaded only there); the desktop app keeps its key with
    // safeStorage, so the library and its prebuilt binary stay out of the app.
    '!**/node_modules/@napi-rs/{keyring,keyring-*}{,/**/*}',
  ],
  // Native code cannot be loaded from inside an archive. Nothing native is expected in
  // the asar (see above), but a dependency that brings a .node file must not break.
  // Claude Code agents run the `claude` binary of the SDK's platform package, and an
  // archive cannot hold an executable: src/main/engine/runtimes/claude-code-probe.ts
  // looks for it in app.asar.unpacked.
  asarUnpack: ['**/*.node', '**/node_modules/@anthropic-ai/claude-agent-sdk-*/claude{,.exe}'],
  extraResources: [
    // The path electron/native-binding.ts (PACKAGED_BINDING) loads in a packaged app.
    { from: `${NATIVE_STAGING_DIR}/\${os}-\${arch}/better_sqlite3.node`, to: 'native/better_sqlite3.node' },
    { from: NOTICES_FILE, to: 'THIRD_PARTY_NOTICES.txt' },
  ],
  // The Node build in node_modules must stay for the tests; the Electron build is made
  // separately by the dist pipeline (src/main/cli/electron-native.ts).
  npmRebuild: false,
  nodeGypRebuild: false,
  buildDependenciesFromSource: false,
  // A missing production dependency would be a MODULE_NOT_FOUND at the user's first launch.
  allowMissingDependencies: false,
  afterPack,

  mac: {
    target: [{ target: 'dmg', arch: ['x64', 'arm64'] }],
    category: 'public.app-category.developer-tools',
    icon: `${ICONS_DIR}/icon.icns`,
    // Notarization requires the hardened runtime; the entitlements allow only what
    // Electron's V8 needs. Signing uses the Developer ID Application identity from the
    // keychain or CSC_LINK; notarization runs when APPLE_ID, APPLE_APP_SPECIFIC_PASSWORD
    // and APPLE_TEAM_ID (or an API key) are in the environment, and is skipped otherwise.
    hardenedRuntime: true,
    gatekeeperAssess: false,
    entitlements: 'electron/builder/entitlements.mac.plist',
    entitlementsInherit: 'electron/builder/entitlements.mac.plist',
  },
  dmg: {
    artifactName: '${productName}-${version}-${arch}.${ext}',
  },

  win: {
    target: [{ target: 'nsis' }],
    icon: `${ICONS_DIR}/icon.ico`,
    // Signing: CSC_LINK / CSC_KEY_PASSWORD (a .pfx), or azureSignOptions for Azure
    // Trusted Signing; unsigned builds work but SmartScreen warns about them.
  },
  nsis: {
    oneClick: false,
    perMachine: false,
    allowToChangeInstallationDirectory: true,
    // The ledger is the user's record of spend and decisions: uninstalling keeps it.
    deleteAppDataOnUninstall: false,
    artifactName: '${productName}-Setup-${version}-${arch}.${ext}',
  },

  linux: {
    target: [{ target: 'AppImage' }, { target: 'deb' }],
    // A folder of <size>x<size>.png files, one per size the desktop may ask for.
    icon: `${ICONS_DIR}/png`,
    executableName: 'control-room',
    category: 'Development',
    synopsis: 'A desktop control room for teams of Claude agents',
    maintainer: 'Control Room contributors',
  },
  appImage: {
    artifactName: '${productName}-${version}-${arch}.${ext}',
  },
  deb: {
    // electron-builder's default list (setting `depends` replaces it), plus git: the
    // missions' workspaces are git worktrees.
    depends: [
      'libgtk-3-0',
      'libnotify4',
      'libnss3',
      'libxss1',
      'libxtst6',
      'xdg-utils',
      'libatspi2.0-0',
      'libuuid1',
      'libsecret-1-0',
      'git',
    ],
  },
};

export default config;
