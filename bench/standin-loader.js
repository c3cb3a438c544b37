// Plain-JS benchmarks reuse the project's TypeScript harnesses (the Telegram stand-in, the n8n
// server recipe): `requireTs` registers a require hook that transpiles .ts files on load (no type
// check; the test suite does that) and requires the module.
const fs = require('node:fs');
const ts = require('typescript');

function requireTs(modulePath) {
  require.extensions['.ts'] ??= (module, filename) => {
    const { outputText } = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
      fileName: filename,
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    });
    module._compile(outputText, filename);
  };
  return require(modulePath);
}

const loadStandin = () => requireTs('../test/telegram-standin');

module.exports = { loadStandin, requireTs };
