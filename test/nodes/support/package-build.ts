import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { packPackage } from '../../../scripts/first-run/n8n';
import { n8nModulesDir } from './n8n-runtime';

const repoRoot = path.resolve(__dirname, '../../..');
const sourceDirs = ['nodes', 'credentials'];
const buildInputs = ['package.json', 'README.md', 'tsconfig.json', 'tsconfig.build.json'];

function listFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? listFiles(full) : [full];
  });
}

function sourceHash(): string {
  const hash = crypto.createHash('sha256');
  const files = [...sourceDirs.flatMap((dir) => listFiles(path.join(repoRoot, dir))), ...buildInputs.map((f) => path.join(repoRoot, f))].sort();
  for (const file of files) hash.update(path.relative(repoRoot, file)).update(fs.readFileSync(file));
  return hash.digest('hex').slice(0, 16);
}

/** Copies what `npm run build:nodes` copies next to the compiled files: icons and codex files. */
function copyAssets(outDir: string): void {
  for (const dir of sourceDirs) {
    for (const file of listFiles(path.join(repoRoot, dir)).filter((f) => /\.(svg|png|node\.json)$/.test(f))) {
      const target = path.join(outDir, 'dist', path.relative(repoRoot, file));
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.copyFileSync(file, target);
    }
  }
}

/** The `npm pack` tarball of the build, made once per build (see buildPackage). */
const PACKED = 'packed';

/**
 * Builds the package as published (dist, package.json, README) into a temporary folder keyed by a
 * hash of the sources, so every test file of a run shares one build, and packs it once
 * (packedPackage). Its node_modules points at n8n's, the way n8n makes n8n-workflow resolvable for
 * community packages.
 */
export function buildPackage(): string {
  const dir = path.join(os.tmpdir(), `metabot-nodes-package-${sourceHash()}`);
  if (fs.existsSync(path.join(dir, '.built'))) return dir;
  const staging = `${dir}.staging-${process.pid}`;
  fs.rmSync(staging, { recursive: true, force: true });
  fs.mkdirSync(staging, { recursive: true });
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(repoRoot, 'tsconfig.build.json'), '--outDir', path.join(staging, 'dist')], {
    cwd: repoRoot,
    stdio: 'pipe',
  });
  copyAssets(staging);
  for (const file of ['package.json', 'README.md']) fs.copyFileSync(path.join(repoRoot, file), path.join(staging, file));
  fs.symlinkSync(n8nModulesDir, path.join(staging, 'node_modules'), 'dir');
  fs.renameSync(packPackage(staging, path.join(staging, PACKED)), path.join(staging, PACKED, 'package.tgz'));
  fs.writeFileSync(path.join(staging, '.built'), new Date().toISOString());
  try {
    fs.renameSync(staging, dir);
  } catch {
    fs.rmSync(staging, { recursive: true, force: true }); // another worker finished the same build first
  }
  return dir;
}

/** The tarball `npm pack` makes of this build: what a user's n8n downloads from the registry. */
export function packedPackage(): string {
  return path.join(buildPackage(), PACKED, 'package.tgz');
}
