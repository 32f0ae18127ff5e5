// Migration files are bundled as text (esbuild's text loader, the Vitest plugin).
declare module '*.sql' {
  const sql: string;
  export default sql;
}
