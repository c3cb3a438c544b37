import type { AppContext } from './context';
import { purgeExpiredKeys } from './integration/idempotency';
import { resumeExpiredPauses } from './identity/lifecycle';
import { purgeInboundUpdates } from './inbound/inbound';

export interface Workers {
  stop(): Promise<void>;
}

interface Loop {
  name: string;
  intervalMs: number;
  run(ctx: AppContext): Promise<unknown>;
}

/**
 * The background loops of this process. Each capability that works off a queue (delivery, event
 * webhooks, pauses that expire) adds its loop here. Loops never overlap themselves and a failing
 * run is logged and retried at the next tick.
 */
const loops: Loop[] = [
  {
    name: 'idempotency-purge',
    intervalMs: 15 * 60_000,
    run: (ctx) => purgeExpiredKeys(ctx.db, ctx.clock.now() - ctx.config.IDEMPOTENCY_TTL_HOURS * 3_600_000),
  },
  { name: 'identity-auto-resume', intervalMs: 30_000, run: resumeExpiredPauses },
  { name: 'inbound-dedupe-purge', intervalMs: 60 * 60_000, run: purgeInboundUpdates },
];

export function startWorkers(ctx: AppContext): Workers {
  let stopped = false;
  const running = new Set<Promise<unknown>>();
  const timers = loops.map((loop) => {
    let busy = false;
    const tick = () => {
      if (busy || stopped) return;
      busy = true;
      const run = loop
        .run(ctx)
        .catch((err) => ctx.logger.error({ err, loop: loop.name }, 'background loop failed'))
        .finally(() => {
          busy = false;
          running.delete(run);
        });
      running.add(run);
    };
    return setInterval(tick, loop.intervalMs);
  });
  return {
    async stop() {
      stopped = true;
      timers.forEach(clearInterval);
      await Promise.all(running);
    },
  };
}
