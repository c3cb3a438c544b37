// Starts one of bench/servers/* in its own process (so the load generator does not share its event
// loop) and resolves with the JSON line it prints.
const { spawn } = require('node:child_process');
const path = require('node:path');
const readline = require('node:readline');

function startChildServer(name, env = {}) {
  const child = spawn(process.execPath, [...(process.env.BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir=' + process.env.BENCH_PROFILE] : []), path.join(__dirname, 'servers', `${name}.js`)], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code}`)));
    readline.createInterface({ input: child.stdout }).once('line', (line) => {
      resolve({ ...JSON.parse(line), pid: child.pid, stop: () => child.kill('SIGTERM') });
    });
  });
}

module.exports = { startChildServer };
