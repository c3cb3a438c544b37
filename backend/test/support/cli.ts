import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const backendDir = path.resolve(__dirname, '../..');
const cliPath = path.join(backendDir, 'dist/main.js');

/** The compiled CLI, built once if this checkout has not been built yet. */
export function ensureBuiltCli(): string {
  if (!fs.existsSync(cliPath)) execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: backendDir, stdio: 'inherit' });
  return cliPath;
}

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], env: Record<string, string>): CliResult {
  const result = spawnSync(process.execPath, [ensureBuiltCli(), ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
