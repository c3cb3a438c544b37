import type { AppContext } from './context';
import { purgeExpiredKeys } from './integration/idempotency';

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
