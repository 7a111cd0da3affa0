// Builds the browser-test harness (tests/browser/harness) into test-artifacts/harness. It bundles
// what Grafana provides to plugins; the plugin itself is the built dist/module.js, loaded at run time.
const path = require('path');

const root = path.resolve(__dirname, '../..');

module.exports = {
  mode: 'development',
  devtool: false,
  context: root,
  entry: { vendor: './tests/browser/harness/vendor.tsx' },
  output: {
    path: path.join(root, 'test-artifacts', 'harness'),
    filename: '[name].js',
    publicPath: '/harness/',
    clean: true,
  },
  resolve: { extensions: ['.tsx', '.ts', '.mjs', '.js'] },
  performance: { hints: false },
  module: {
    rules: [
      {
        test: /\.[tj]sx?$/,
        exclude: /node_modules/,
        use: {
          loader: 'swc-loader',
          options: {
            jsc: {
              parser: { syntax: 'typescript', tsx: true },
              transform: { react: { runtime: 'classic' } },
              target: 'es2020',
            },
          },
        },
      },
      { test: /\.m?js$/, resolve: { fullySpecified: false } },
      { test: /\.css$/, use: ['style-loader', 'css-loader'] },
      { test: /\.(svg|png|woff2?|ttf|eot)$/, type: 'asset/inline' },
    ],
  },
};
