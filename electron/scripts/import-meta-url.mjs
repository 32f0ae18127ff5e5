// Injected into the CommonJS bundles (see build-main.mjs): gives modules that locate files
// from `import.meta.url` the bundle's own URL, as they get in the ESM bundles.
import { pathToFileURL } from 'node:url';

// CommonJS output: __filename is the bundle's path.
export const importMetaUrl = pathToFileURL(__filename).href;
