// Builds the operator console (docs/console.md) into dist/console-web/, which Domus serves
// under /console/. Run by `npm run build`, which `npm install` runs.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/console/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('../dist/console-web/', import.meta.url)),
    emptyOutDir: true,
    // Every asset a file of its own: the CSP allows no inline data but images.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
  logLevel: 'warn',
});
