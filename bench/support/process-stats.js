// CPU time and resident memory of another process, from /proc (Linux). On a shared machine a
// process's CPU per unit of work is steadier than its throughput, which waits for a free core.
const fs = require('node:fs');

const TICKS_PER_MS = 100 / 1000; // Linux USER_HZ
const PAGE_BYTES = 4096;

/** User + system CPU time the process has used so far, in ms. */
function cpuMs(pid) {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_MS;
}

/** CPU time used so far by each PostgreSQL server process on this host, in ms, by pid. */
function postgresCpu() {
  const byPid = new Map();
  for (const pid of fs.readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
    try {
      if (fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres') byPid.set(pid, cpuMs(pid));
    } catch {
      // The process ended meanwhile.
    }
  }
  return byPid;
}

/**
 * What PostgreSQL's processes spent since `before` (a `postgresCpu()`), in ms: a benchmark's share
 * only while nothing else uses the server (other databases on it count too); a process that ended
 * meanwhile is missing from it.
 */
function postgresCpuMsSince(before) {
  let total = 0;
  for (const [pid, ms] of postgresCpu()) total += ms - (before.get(pid) ?? 0);
  return total;
}

/** Resident set size now, in MB. */
function rssMb(pid) {
  const residentPages = Number(fs.readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]);
  return (residentPages * PAGE_BYTES) / 2 ** 20;
}

module.exports = { cpuMs, postgresCpu, postgresCpuMsSince, rssMb };
