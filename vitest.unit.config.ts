import { defineConfig } from 'vitest/config';

// Tests that only read files or run code in memory. Unlike vitest.config.ts this has no global
// set-up, so no control plane starts: `npx vitest run --config vitest.unit.config.ts`.
export default defineConfig({
  test: {
    include: ['operator/clowder/spec.test.ts'],
  },
});
