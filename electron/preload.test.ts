import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

// The sandboxed preload must stay one small CommonJS file that requires nothing but
// `electron`: bundle it exactly as electron/scripts/build-main.mjs does and look.
async function bundlePreload(): Promise<string> {
  const result = await build({
    absWorkingDir: fileURLToPath(new URL('..', import.meta.url)),
    entryPoints: ['electron/preload.ts'],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: ['electron'],
    write: false,
    logLevel: 'silent',
  });
  const [output] = result.outputFiles;
  if (!output) throw new Error('esbuild produced no output');
  return output.text;
}

describe('preload bundle', () => {
  it('requires only electron, pulls in no validator, and stays small', async () => {
    const code = await bundlePreload();
    const required = new Set([...code.matchAll(/require\(["']([^"']+)["']\)/g)].map((match) => match[1]));
    expect([...required]).toEqual(['electron']);
    expect(code).not.toMatch(/zod|safeParse/);
    expect(code.length).toBeLessThan(16_000);
  });

  it('exposes exactly one global, controlRoom, and never ipcRenderer itself', async () => {
    const code = await bundlePreload();
    const exposures = [...code.matchAll(/exposeInMainWorld\(\s*["']([^"']+)["']\s*,\s*(\w+)/g)];
    expect(exposures.map((match) => match[1])).toEqual(['controlRoom']);
    expect(exposures[0]?.[2]).not.toMatch(/ipcRenderer/);
  });
});
