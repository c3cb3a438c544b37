// Starts one of bench/servers/* in its own process (so the load generator does not share its event
// loop) and resolves with the JSON line it prints, plus `stop()` (SIGTERM, resolves on exit) and
// `kill()` (SIGKILL, for crash drills). Node's flags for the child: `options.nodeArgs`, else
// `backendNodeArgs()`.
const { spawn } = require('node:child_process');
const path = require('node:path');
const readline = require('node:readline');
const { requireTs } = require('./standin-loader');

/**
 * The Node flags a bench backend runs with: BENCH_NODE_ARGS (space-separated; set but empty: none,
 * Node's defaults, for an A/B), else those `metabot-backend serve` runs with (the first-run
 * launcher's reading of the binary's shebang).
 */
function backendNodeArgs() {
  if (process.env.BENCH_NODE_ARGS !== undefined) return process.env.BENCH_NODE_ARGS.split(' ').filter(Boolean);
  return requireTs('../scripts/first-run/backend.ts').serveNodeFlags(path.join(__dirname, '..'));
}

function startChildServer(name, env = {}, options = {}) {
  const nodeArgs = options.nodeArgs ?? backendNodeArgs();
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

module.exports = { startChildServer, backendNodeArgs };
