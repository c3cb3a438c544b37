// `npm run check:package`: the package against n8n's rules for verified community nodes, offline.
// 1. n8n's own scanner (@n8n/scan-community-package): the same ESLint rule sets it runs on a published
//    package, on the sources and on the tarball `npm pack` makes of the build. Its command line needs
//    the package on the npm registry with provenance and downloads the attested GitHub source, so
//    this calls its analysis on the local copies instead.
// 2. What the verification asks beyond lint, read from the packed package as n8n loads it: no
//    runtime dependencies, every node and credential present, light and dark icons, a codex file per
//    node, and `usableAsTool: true` on every node that is not a trigger.
// Run after `npm run build` (it packs dist/).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import Module, { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyzePackage, SOURCE_FILE_PATTERNS } from '@n8n/scan-community-package/scanner/scanner.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const problems = [];

function unpackedTarball() {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'metabot-check-package-'));
  const answer = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: root, encoding: 'utf8' });
  const [{ filename }] = JSON.parse(answer);
  const dir = path.join(work, 'package');
  fs.mkdirSync(dir);
  execFileSync('tar', ['-xzf', path.join(work, filename), '-C', dir, '--strip-components=1']);
  return { work, dir };
}

async function scan(label, dir, patterns) {
  const result = await analyzePackage(dir, patterns);
  if (result.passed) return console.log(`n8n scanner, ${label}: passed`);
  problems.push(`n8n scanner, ${label}: ${result.message}\n${result.details ?? ''}`);
}

/** n8n resolves n8n-workflow for community packages from its own modules; here, from the repository's. */
function loadFrom(dir, file) {
  process.env.NODE_PATH = path.join(root, 'node_modules');
  Module._initPaths();
  const exports = createRequire(path.join(dir, 'package.json'))(path.join(dir, file));
  return Object.values(exports).find((value) => typeof value === 'function');
}

function iconFiles(icon) {
  if (typeof icon === 'string') return { missingDark: true, files: [icon] };
  return { missingDark: !icon?.dark, files: [icon?.light, icon?.dark].filter(Boolean) };
}

function checkIcons(dir, file, what, icon) {
  const { missingDark, files } = iconFiles(icon);
  if (files.length === 0 || missingDark) problems.push(`${what}: needs a light and a dark icon ({ light: 'file:…', dark: 'file:…' })`);
  for (const iconFile of files.map((value) => value.replace(/^file:/, ''))) {
    if (!fs.existsSync(path.join(dir, path.dirname(file), iconFile))) problems.push(`${what}: icon ${iconFile} is not in the package`);
  }
}

function checkNode(dir, manifest, file) {
  const NodeClass = loadFrom(dir, file);
  const { description } = new NodeClass();
  const what = `node ${description.name}`;
  checkIcons(dir, file, what, description.icon);
  const codexFile = path.join(dir, file.replace(/\.js$/, '.json'));
  if (!fs.existsSync(codexFile)) return problems.push(`${what}: no codex file ${path.relative(dir, codexFile)}`);
  const codex = JSON.parse(fs.readFileSync(codexFile, 'utf8'));
  if (codex.node !== `${manifest.name}.${description.name}`) problems.push(`${what}: its codex names ${codex.node}`);
  if (!codex.nodeVersion || !codex.codexVersion || !(codex.categories?.length > 0)) problems.push(`${what}: its codex needs nodeVersion, codexVersion and categories`);
  const isTrigger = description.group.includes('trigger');
  if (!isTrigger && description.usableAsTool !== true) problems.push(`${what}: an action node must set usableAsTool: true`);
}

function checkManifest(dir) {
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  if (Object.keys(manifest.dependencies ?? {}).length > 0) problems.push(`package.json: runtime dependencies ${Object.keys(manifest.dependencies).join(', ')}`);
  if (!manifest.keywords?.includes('n8n-community-node-package')) problems.push('package.json: the keyword n8n-community-node-package is missing');
  for (const file of [...manifest.n8n.nodes, ...manifest.n8n.credentials]) {
    if (!fs.existsSync(path.join(dir, file))) problems.push(`package.json names ${file}, which is not in the package`);
  }
  return manifest;
}

const { work, dir } = unpackedTarball();
try {
  await scan('sources', root, SOURCE_FILE_PATTERNS);
  await scan('packed package', dir, ['**/*.js', 'package.json']);
  const manifest = checkManifest(dir);
  for (const file of manifest.n8n.nodes.filter((f) => fs.existsSync(path.join(dir, f)))) checkNode(dir, manifest, file);
  for (const file of manifest.n8n.credentials.filter((f) => fs.existsSync(path.join(dir, f)))) {
    const credential = new (loadFrom(dir, file))();
    checkIcons(dir, file, `credential ${credential.name}`, credential.icon);
  }
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}

if (problems.length > 0) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.log(`n8n-nodes-metabot meets the verified community node checks (${path.basename(root)}, packed)`);
