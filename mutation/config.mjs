// Shared StrykerJS settings for `npm run mutate -- <folder>` (docs/testing.md).
//
// Stryker copies the project into a sandbox under .stryker-tmp/, writes every
// mutant of the folder's src/**/*.ts into it at once (switched on by an
// environment variable), compiles the sandbox with tsc into its own dist/,
// and runs the folder's fast unit tests there with the TAP runner
// (`node --test-reporter=tap dist/test/<file>.test.js`). The TypeScript
// checker discards mutants that do not compile before any test runs them.

/**
 * @param {string} folder   a folder of src/, e.g. "cells"
 * @param {string[]} tests  base names of the test files that exercise it (dist/test/<name>.test.js)
 * @param {object} [extra]  overrides, e.g. a longer timeout
 */
export function strykerConfig(folder, tests, extra = {}) {
  // STRYKER_TESTS=a,b narrows the test files (e.g. to those of the one file given with --mutate)
  if (process.env.STRYKER_TESTS) tests = process.env.STRYKER_TESTS.split(',');
  return {
    $schema: './node_modules/@stryker-mutator/core/schema/stryker-schema.json',
    packageManager: 'npm',
    mutate: [`src/${folder}/**/*.ts`, `!src/${folder}/index.ts`],
    testRunner: 'tap',
    tap: {
      testFiles: tests.map((t) => `dist/test/${t}.test.js`),
      nodeArgs: ['--test-reporter=tap', '-r', '{{hookFile}}', '{{testFile}}'],
    },
    checkers: ['typescript'],
    // the checker type-checks src/ only (mutation/tsconfig.check.json): with test/ and bench/ as
    // well, every mutant re-checked the 67 test files that import src, and the checker,
    // not the tests, set the pace
    tsconfigFile: 'mutation/tsconfig.check.json',
    typescriptChecker: { prioritizePerformanceOverAccuracy: true },
    // the sandbox is compiled, not copied: stale output and the browser app stay out of it
    ignorePatterns: ['dist', 'web', 'runs', 'test-artifacts', 'reports', 'mutation/*.incremental.json'],
    buildCommand: 'npx tsc -p tsconfig.json',
    coverageAnalysis: 'perTest',
    // one mutant at a time by default (the machine's two cores are shared); STRYKER_CONCURRENCY=2 when it is yours
    concurrency: Number(process.env.STRYKER_CONCURRENCY ?? 1),
    timeoutMS: 5000,
    incremental: true,
    incrementalFile: `mutation/${folder}.incremental.json`,
    reporters: ['clear-text', 'progress-append-only', 'json'],
    jsonReporter: { fileName: `reports/mutation/${folder}.json` },
    clearTextReporter: { allowColor: false, logTests: false, maxTestsToLog: 0 },
    tempDirName: '.stryker-tmp',
    cleanTempDir: true,
    ...extra,
  };
}
