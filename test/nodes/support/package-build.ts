import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { n8nModulesDir } from './n8n-runtime';

const repoRoot = path.resolve(__dirname, '../../..');
const sourceDirs = ['nodes', 'credentials'];
const buildInputs = ['package.json', 'tsconfig.json', 'tsconfig.build.json'];

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

/**
 * Builds the package as published (dist + package.json) into a temporary folder keyed by a hash of
 * the sources, so every test file of a run shares one build. Its node_modules points at n8n's, the
 * way n8n makes n8n-workflow resolvable for community packages.
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
  fs.copyFileSync(path.join(repoRoot, 'package.json'), path.join(staging, 'package.json'));
  fs.symlinkSync(n8nModulesDir, path.join(staging, 'node_modules'), 'dir');
  fs.writeFileSync(path.join(staging, '.built'), new Date().toISOString());
  try {
    fs.renameSync(staging, dir);
  } catch {
    fs.rmSync(staging, { recursive: true, force: true }); // another worker finished the same build first
  }
  return dir;
}
