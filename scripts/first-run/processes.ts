import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export interface Child {
  name: string;
  process: ChildProcess;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  stop(graceMs?: number): Promise<void>;
  /** What it wrote: everything, or with a log file only the last few thousand characters. */
  output(): string;
}

/** Wraps a spawned process: its output kept (or appended to `logFile`), graceful stop. */
export function watchProcess(name: string, child: ChildProcess, logFile?: string): Child {
  if (logFile) fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const log = logFile ? fs.createWriteStream(logFile, { flags: 'a' }) : undefined;
  let kept = '';
  const collect = (chunk: Buffer) => {
    log?.write(chunk);
    kept = log ? (kept + chunk).slice(-4000) : kept + chunk;
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const running = () => child.exitCode === null && child.signalCode === null;
  return {
    name,
    process: child,
    output: () => kept,
    async stop(graceMs = 15_000) {
      if (running()) child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]);
      clearTimeout(timer);
      if (running()) {
        child.kill('SIGKILL');
        await exited;
      }
      log?.end();
    },
  };
}

/** Polls `url` until it answers 2xx; fails early when the process exits. */
export async function waitForHttp(url: string, child: Child, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.process.exitCode !== null) throw new Error(`${child.name} exited with ${child.process.exitCode}:\n${child.output()}`);
    if (await fetch(url).then((r) => r.ok, () => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${child.name} did not answer ${url} within ${timeoutMs / 1000} s:\n${child.output()}`);
}

/** A port nobody listens on right now (for throwaway instances: smoke mode, tests). */
/**
 * A port nothing listens on, for a process that binds it later (n8n binds its task broker's port
 * seconds after it starts). Drawn below Linux's ephemeral range (32768–60999): a port the kernel
 * handed out would be handed out again, to the next outgoing connection of any process, before the
 * new process binds it ("port already in use").
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (await canListen(port)) return port;
  }
}

function canListen(port: number): Promise<boolean> {
  const server = net.createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
