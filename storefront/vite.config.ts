import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Served by the API at / (the storefront server injects the head and the first-paint data into
// index.html); `npm run dev` proxies the API of a service running on port 3000, so the app talks to the
// same-origin /v1 in both cases.
export default defineConfig({
  plugins: [react()],
  base: '/',
  server: { proxy: { '/v1': 'http://localhost:3000', '^/c/[^/]+/qr\\.svg$': 'http://localhost:3000' } },
  build: {
    // The budget (≤ 100 kB gzipped for the campaign page's first load) is checked by test/e2e/storefront-budget.test.ts.
    modulePreload: { polyfill: false },
    rolldownOptions: {
      output: {
        // React changes far less often than the app: in a file of its own it stays cached across releases.
        codeSplitting: { groups: [{ name: 'vendor', test: /node_modules[\\/]/ }] },
      },
    },
  },
});
