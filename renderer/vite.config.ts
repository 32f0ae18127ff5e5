import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  // Relative asset URLs work both under Electron's custom protocol and when browser
  // mode serves the bundle from the engine's loopback host.
  base: './',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../dist/renderer', import.meta.url)),
    emptyOutDir: true,
    // The CSP forbids inline scripts; never let Vite inline the module preload polyfill.
    modulePreload: { polyfill: false },
    sourcemap: true,
  },
  server: { strictPort: true },
});
