/** One jest run covers the backend, the stand-ins, the n8n nodes and the end-to-end suite. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/backend/test', '<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }],
  },
  setupFilesAfterEnv: ['<rootDir>/test/support/fixed-seed.ts'],
  testTimeout: 30000,
  maxWorkers: 2,
};
