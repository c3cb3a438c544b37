// Starts one of bench/servers/* in its own process (so the load generator does not share its event
// loop) and resolves with the JSON line it prints, plus `stop()` (SIGTERM, resolves on exit) and
// `kill()` (SIGKILL, for crash drills). Node's flags for the child: `options.nodeArgs`, else
// BENCH_NODE_ARGS (space-separated; set but empty: none, Node's defaults, for an A/B), else the
// flags the product starts the backend with (the shebang of backend/dist/main.js).
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const readline = require('node:readline');

/** The Node flags of `metabot-backend serve`: its shebang's (`#!/usr/bin/env -S node --flag …`). */
function productNodeArgs() {
  const shebang = fs.readFileSync(path.join(__dirname, '../backend/dist/main.js'), 'utf8').split('\n')[0];
  return shebang.replace(/^#!\/usr\/bin\/env (-S )?node\s*/, '').split(' ').filter(Boolean);
}

function startChildServer(name, env = {}, options = {}) {
  const nodeArgs = options.nodeArgs ?? (process.env.BENCH_NODE_ARGS === undefined ? productNodeArgs() : process.env.BENCH_NODE_ARGS.split(' ').filter(Boolean));
  const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir=' + process.env.BENCH_PROFILE] : [];
  const child = spawn(process.execPath, [...nodeArgs, ...profile, path.join(__dirname, 'servers', `${name}.js`)], {
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

module.exports = { startChildServer, productNodeArgs };
