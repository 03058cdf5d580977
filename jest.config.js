// Two projects: every test on the wasm backend (what Node picks here), and the
// core + kernel tests again on the cpu backend, so both reference paths stay tested.
const transform = { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] };
const common = {
  testEnvironment: 'node',
  transform,
  moduleFileExtensions: ['ts', 'js', 'json'],
};

// `jest --selectProjects wasm tests/sae` would read `tests/sae` as a second project name
// (the option takes several values) and silently run everything; treat path-like values
// after --selectProjects as the path filters they were meant to be.
const argv = process.argv;
const at = argv.indexOf('--selectProjects');
const paths = [];
if (at >= 0) {
  for (let i = at + 1; i < argv.length && !argv[i].startsWith('-'); i++) {
    if (argv[i].includes('/') || argv[i].endsWith('.ts')) paths.push(argv[i]);
  }
}
const only = (patterns) =>
  paths.length === 0
    ? patterns
    : paths.flatMap((p) =>
        p.endsWith('.ts')
          ? [`<rootDir>/${p}`]
          : [`<rootDir>/${p.replace(/\/$/, '')}/**/*.test.ts`, `<rootDir>/${p}*.test.ts`],
      );

module.exports = {
  testTimeout: 120000,
  projects: [
    {
      ...common,
      displayName: 'wasm',
      testMatch: only(['<rootDir>/tests/**/*.test.ts']),
      setupFilesAfterEnv: ['<rootDir>/tests/setup/wasm.ts'],
    },
    {
      ...common,
      displayName: 'cpu',
      testMatch: only(['<rootDir>/tests/core/**/*.test.ts', '<rootDir>/tests/kernels/**/*.test.ts']),
      setupFilesAfterEnv: ['<rootDir>/tests/setup/cpu.ts'],
    },
  ],
};
