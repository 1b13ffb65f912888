import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The integration tier: tests beside the code and the cross-cutting suites in test/, against
    // real servers. The unit tier (*.unit.test.ts) has its own config, vitest.unit.config.ts.
    include: ['{kind,patterns,operator,sidecars,scripts,site,test}/**/*.test.ts'],
    exclude: ['**/*.unit.test.ts', '**/node_modules/**'],
    // One real local control plane for the whole run (or the workshop cluster in KUBECONFIG).
    // The lessons' PostgreSQL server: one of its own per run (test/postgres-setup.ts).
    globalSetup: ['test/global-setup.ts', 'test/postgres-setup.ts'],
    // Real API round trips: a rollout takes seconds, not milliseconds.
    testTimeout: 300_000,
    hookTimeout: 120_000,
    // Lessons work in fixed namespaces (the lesson id), and both the lesson suite and the site
    // walk run them: files run one after another so they never act on a namespace at once.
    fileParallelism: false,
  },
});
