import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // Node loads graphql's CommonJS build for the libraries (type-graphql, Apollo); the tests' own
    // imports must get the same instance, not the .mjs one vite would pick ("another module or realm").
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    // type-graphql's decorators need the Reflect metadata API before any type module loads, as src/main.ts does.
    setupFiles: ['reflect-metadata'],
    globalSetup: ['test/helpers/global-setup.ts', 'test/helpers/s3-global-setup.ts'],
    reporters: ['default', './test/helpers/summary-reporter.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
