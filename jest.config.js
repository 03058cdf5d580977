// Two projects: every test on the wasm backend (what Node picks here), and the
// core + kernel tests again on the cpu backend, so both reference paths stay tested.
const transform = { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] };
const common = {
  testEnvironment: 'node',
  transform,
  moduleFileExtensions: ['ts', 'js', 'json'],
};
module.exports = {
  testTimeout: 120000,
  projects: [
    {
      ...common,
      displayName: 'wasm',
      testMatch: ['<rootDir>/tests/**/*.test.ts'],
      setupFilesAfterEnv: ['<rootDir>/tests/setup/wasm.ts'],
    },
    {
      ...common,
      displayName: 'cpu',
      testMatch: ['<rootDir>/tests/core/**/*.test.ts', '<rootDir>/tests/kernels/**/*.test.ts'],
      setupFilesAfterEnv: ['<rootDir>/tests/setup/cpu.ts'],
    },
  ],
};
