// Lint is where the layering of ARCHITECTURE.md is enforced:
//   shared <- main <- electron;  shared <- renderer.
// Only electron/ may import `electron`; src/shared imports nothing environment-specific;
// the renderer takes only src/shared from the Node side.
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import { builtinModules } from 'node:module';
import tseslint from 'typescript-eslint';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

const restrict = (message, patterns, paths = []) => [
  'error',
  {
    paths: paths.map((name) => ({ name, message })),
    patterns: patterns.map((group) => ({ group: [group], message })),
  },
];

const nativeOnly = ['better-sqlite3', 'ws', '@anthropic-ai/sdk', 'electron'];

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'release/**',
      'node_modules/**',
      'e2e/.artifacts/**',
      'test-results/**',
      'playwright-report/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-syntax': [
        'error',
        { selector: 'ExportDefaultDeclaration', message: 'Named exports only (house style).' },
      ],
    },
  },
  {
    // Tool configs must default-export, and ambient module declarations describe how a
    // loader hands over a file (a default export); neither is application code.
    files: ['**/*.config.{ts,js,mjs}', 'eslint.config.js', '**/*.d.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    // CommonJS tool configs (dependency-cruiser reads `.dependency-cruiser.cjs` with require).
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['src/shared/**/*.ts'],
    rules: {
      'no-restricted-imports': restrict(
        'src/shared is environment-neutral: no Node, Electron, React or main/renderer code.',
        ['**/main/**', '**/renderer/**', '**/electron/**', 'react', 'react-dom', 'react/*', ...nativeOnly],
        nodeBuiltins,
      ),
    },
  },
  {
    files: ['src/main/**/*.ts', 'src/*.ts'],
    rules: {
      'no-restricted-imports': restrict(
        'src/main is pure Node: only electron/ imports electron; never the renderer.',
        ['electron', '**/renderer/**', '**/electron/**', 'react', 'react-dom'],
      ),
    },
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      'no-restricted-imports': restrict(
        'The renderer imports only src/shared from the Node side (types, schemas, constants).',
        ['**/src/main/**', '**/electron/**', ...nativeOnly],
        nodeBuiltins,
      ),
    },
  },
  {
    // Tests and the Vite config run in Node even when they sit beside renderer code.
    files: ['renderer/vite.config.ts', 'renderer/**/*.test.{ts,tsx}'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    files: ['electron/**/*.ts'],
    rules: {
      'no-restricted-imports': restrict('electron/ never imports the renderer.', ['**/renderer/**', 'react', 'react-dom']),
    },
  },
);
