import { refractor } from 'refractor';
import jsx from 'refractor/jsx';
import tsx from 'refractor/tsx';

// refractor's common set (JS, TS, CSS, JSON, Markdown, Python, Go, Rust, shell...) plus the
// React dialects, which agents write often and the common set leaves out.
refractor.register(jsx);
refractor.register(tsx);

const BY_EXTENSION: Record<string, string> = {
  js: 'javascript',
  cjs: 'javascript',
  mjs: 'javascript',
  jsx: 'jsx',
  ts: 'typescript',
  cts: 'typescript',
  mts: 'typescript',
  tsx: 'tsx',
  json: 'json',
  md: 'markdown',
  css: 'css',
  scss: 'scss',
  less: 'less',
  html: 'markup',
  xml: 'markup',
  svg: 'markup',
  py: 'python',
  go: 'go',
  rs: 'rust',
  rb: 'ruby',
  java: 'java',
  kt: 'kotlin',
  c: 'c',
  h: 'c',
  cpp: 'cpp',
  cs: 'csharp',
  php: 'php',
  sh: 'bash',
  bash: 'bash',
  yml: 'yaml',
  yaml: 'yaml',
  sql: 'sql',
  swift: 'swift',
  lua: 'lua',
  ini: 'ini',
  toml: 'ini',
};

/** The Prism language of a path, or null when none is registered for it (shown plain). */
export function languageOf(path: string): string | null {
  const name = path.split('/').pop() ?? path;
  if (name === 'Makefile') return 'makefile';
  const dot = name.lastIndexOf('.');
  const language = dot > 0 ? BY_EXTENSION[name.slice(dot + 1).toLowerCase()] : undefined;
  return language && refractor.registered(language) ? language : null;
}

/**
 * refractor as react-diff-view calls it: v3's `highlight` answered the nodes, later versions
 * answer a root holding them.
 */
export const diffRefractor: { highlight(code: string, language: string): unknown[] } = {
  highlight: (code: string, language: string) => refractor.highlight(code, language).children,
};
