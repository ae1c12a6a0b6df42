import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

// Served by the API at /portal (src/platform/http/portal.ts); `npm run dev` proxies the API of a
// service running on port 3000, so the app talks to the same-origin /v1 in both cases.
export default defineConfig({
  plugins: [react()],
  base: '/portal/',
  server: { proxy: { '/v1': 'http://localhost:3000' } },
  build: {
    rolldownOptions: {
      output: {
        // Libraries change far less often than the app: in files of their own they stay cached across releases.
        codeSplitting: {
          groups: [
            { name: 'charts', test: /node_modules[\\/](recharts|d3-|victory-vendor|@reduxjs|immer|reselect|es-toolkit)/ },
            { name: 'vendor', test: /node_modules[\\/]/ },
          ],
        },
      },
    },
  },
  test: { include: ['src/**/*.test.ts'] },
});
