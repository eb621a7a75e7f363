import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/** The console as static files in dist/console, served by the gateway at / (src/server/console.ts). */
export default defineConfig({
  root: here('.'),
  base: '/',
  plugins: [react()],
  build: {
    outDir: here('../dist/console'),
    emptyOutDir: true,
    // Under the CSP (script-src 'self') every script is a file; nothing may be inlined as a data: URL.
    assetsInlineLimit: 0,
    sourcemap: true,
    rollupOptions: {
      // Libraries change less often than the console: their chunks stay cached across its releases.
      output: {
        manualChunks: (id) => (id.includes('/node_modules/') ? /\/node_modules\/(react|react-dom|react-router|scheduler)\//.test(id) ? 'react' : 'vendor' : undefined),
      },
    },
  },
  server: {
    proxy: { '/graphql': { target: 'http://127.0.0.1:4000', ws: true }, '/blobs': 'http://127.0.0.1:4000' },
  },
});
