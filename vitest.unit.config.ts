import { defineConfig } from 'vitest/config';

// The unit tier: `*.unit.test.ts` files only read files, run code in memory or start a small
// program of the kit on loopback. Unlike vitest.config.ts there is no global set-up, so no
// control plane or PostgreSQL starts and the tier runs anywhere: `npm run test:unit`.
export default defineConfig({
  test: {
    include: ['{kind,patterns,operator,sidecars,scripts,site,test}/**/*.unit.test.ts'],
  },
});
