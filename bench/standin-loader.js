// The Telegram stand-in is TypeScript (test/telegram-standin); plain-JS benchmarks transpile it
// once into a temporary folder and require it.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const ts = require('typescript');

function loadStandin() {
  const source = path.join(__dirname, '..', 'test', 'telegram-standin');
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'standin-'));
  for (const file of fs.readdirSync(source).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))) {
    const { outputText } = ts.transpileModule(fs.readFileSync(path.join(source, file), 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    });
    fs.writeFileSync(path.join(out, file.replace(/\.ts$/, '.js')), outputText);
  }
  return require(path.join(out, 'index.js'));
}

module.exports = { loadStandin };
