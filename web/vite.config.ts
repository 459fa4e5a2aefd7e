import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Run from the repo root as `vite build --config web/vite.config.ts`; the page lives in web/.
const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // CSP is `script-src 'self'`: never inline the module-preload polyfill or small assets.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
  },
  server: {
    // `vite --config web/vite.config.ts` during development: the API runs on the Fastify server.
    proxy: { '/api': 'http://127.0.0.1:3000' },
  },
});
