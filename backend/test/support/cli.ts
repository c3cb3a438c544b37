import { execFile, execFileSync, spawnSync } from 'node:child_process';
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

/**
 * `runCli` without blocking this process: a test whose backend runs in the same process keeps
 * serving while the CLI runs (a blocked event loop lets a keep-alive socket expire at the very
 * moment the next request reuses it: ECONNRESET).
 */
export function runCliAsync(args: string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [ensureBuiltCli(), ...args], { env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8', timeout: 20_000 }, (error, stdout, stderr) => {
      const status = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      resolve({ status, stdout, stderr });
    });
  });
}
