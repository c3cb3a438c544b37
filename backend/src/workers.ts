import type { AppContext } from './platform/context';
import { stopTelegram, syncTelegram } from './channels/telegram/runtime';
import { purgeFinishedRecipients } from './delivery/retention';
import { deliverDue } from './delivery/worker';
import { purgeDeliveredEvents } from './events/retention';
import { EVENTS_LOOP, runEventsOnce } from './events/worker';
import { purgeExpiredKeys } from './platform/http/once-per-key';
import { resumeExpiredPauses } from './identity/lifecycle';
import { purgeInboundUpdates } from './inbound/inbound';
import { onWake } from './platform/wakeups';

export interface Workers {
  stop(): Promise<void>;
}

interface Loop {
  name: string;
  intervalMs: number | ((ctx: AppContext) => number);
  /** Resolves true when there is more work right now: the loop runs again without waiting. */
  run(ctx: AppContext): Promise<unknown>;
  /** Run once as soon as the workers start, not only after the first interval. */
  runAtStart?: boolean;
  /** Releases what the loop holds (connections, leases) when the workers stop. */
  stop?(ctx: AppContext): Promise<void>;
}

const wakers = new WeakMap<AppContext, Map<string, () => void>>();

/**
 * Runs a loop now instead of at its next tick (e.g. delivery right after a message was accepted).
 * Code that holds only a transaction uses `wakeAfterCommit(trx, name)` from wakeups.ts instead.
 */
export function wakeLoop(ctx: AppContext, name: string): void {
  wakers.get(ctx)?.get(name)?.();
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
  { name: 'events-purge', intervalMs: 60 * 60_000, run: purgeDeliveredEvents },
  { name: 'delivery-purge', intervalMs: 60 * 60_000, run: purgeFinishedRecipients },
  { name: 'delivery', intervalMs: (ctx) => ctx.config.DELIVERY_POLL_MS, run: deliverDue, runAtStart: true },
  { name: 'telegram', intervalMs: 5_000, run: syncTelegram, runAtStart: true, stop: stopTelegram },
  { name: EVENTS_LOOP, intervalMs: 500, run: runEventsOnce, runAtStart: true },
];

export function startWorkers(ctx: AppContext): Workers {
  let stopped = false;
  const running = new Set<Promise<unknown>>();
  const loopWakers = new Map<string, () => void>();
  wakers.set(ctx, loopWakers);
  const unsubscribes: Array<() => void> = [];
  const timers = loops.map((loop) => {
    let busy = false;
    let again = false;
    const tick = () => {
      if (stopped) return;
      if (busy) return void (again = true);
      busy = true;
      const run = loop
        .run(ctx)
        .then((more) => void (again ||= more === true))
        .catch((err) => ctx.logger.error({ err, loop: loop.name }, 'background loop failed'))
        .finally(() => {
          busy = false;
          running.delete(run);
          if (again && !stopped) setImmediate(tick);
          again = false;
        });
      running.add(run);
    };
    loopWakers.set(loop.name, tick);
    unsubscribes.push(onWake(loop.name, tick));
    if (loop.runAtStart) setImmediate(tick);
    return setInterval(tick, typeof loop.intervalMs === 'number' ? loop.intervalMs : loop.intervalMs(ctx));
  });
  return {
    async stop() {
      stopped = true;
      wakers.delete(ctx);
      unsubscribes.forEach((unsubscribe) => unsubscribe());
      timers.forEach(clearInterval);
      await Promise.all(running);
      await Promise.all(loops.map((loop) => loop.stop?.(ctx)));
    },
  };
}
