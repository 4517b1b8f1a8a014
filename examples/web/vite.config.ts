import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The example app. No dependencies of its own: Vite, TypeScript and openapi-fetch come from the repository root's
 * node_modules (`npm install` there), and the typed client is the gateway's own source.
 *
 *   cd examples/web && VITE_PAYMENTS_API_URL=http://localhost:4000 npm run dev   # http://localhost:5173
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  resolve: {
    alias: {
      // What `import { createPaymentsClient } from 'payments-orchestrator/client'` is in an app that installed the
      // package; here, the source next door.
      'payments-orchestrator/client': fileURLToPath(new URL('../../src/client/index.ts', import.meta.url)),
    },
  },
  server: { port: 5173, strictPort: true },
  preview: { port: 5173, strictPort: true },
});
