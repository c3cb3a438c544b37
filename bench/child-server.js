// Starts one of bench/servers/* in its own process (so the load generator does not share its event
// loop) and resolves with the JSON line it prints, plus `stop()` (SIGTERM, resolves on exit) and
// `kill()` (SIGKILL, for crash drills).
const { spawn } = require('node:child_process');
const path = require('node:path');
const readline = require('node:readline');

function startChildServer(name, env = {}) {
  const child = spawn(process.execPath, [...(process.env.BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir=' + process.env.BENCH_PROFILE] : []), path.join(__dirname, 'servers', `${name}.js`)], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const signal = (name) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(name);
    return exited;
  };
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code}`)));
    readline.createInterface({ input: child.stdout }).once('line', (line) => {
      resolve({ ...JSON.parse(line), pid: child.pid, stop: () => signal('SIGTERM'), kill: () => signal('SIGKILL') });
    });
  });
}

module.exports = { startChildServer };
