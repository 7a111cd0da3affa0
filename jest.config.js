// force timezone to UTC to allow tests to work regardless of local timezone
// generally used by snapshots, but can affect specific tests
process.env.TZ = 'UTC';

const base = require('./.config/jest.config');

module.exports = {
  // Jest configuration provided by Grafana scaffolding
  ...base,
  // d3-color and a few other dependencies ship only ES modules with the .mjs extension.
  transform: {
    ...base.transform,
    '^.+\\.mjs$': base.transform['^.+\\.(t|j)sx?$'],
  },
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/tests/'],
  // The machines running these are small and shared: give rendering tests room.
  testTimeout: 30000,
};
