import { purgeAnalyticsState } from './analytics/retention';
import { purgeVisitorFiles } from './channels/webchat/visitor-files';
import { stopTelegram, syncTelegram, TELEGRAM_LOOP } from './channels/telegram/runtime';
import { sendStaffPosts, STAFF_GROUP_LOOP } from './channels/telegram/staff-posts';
import { stopVk, syncVk } from './channels/vk/long-poll';
import { VK_LOOP } from './channels/vk/vk-runtime';
import { CONVERSATION_TIMEOUTS_LOOP, runOperatorTimeoutsOnce } from './conversations/timeouts';
import { DELIVERY_LOOP } from './delivery/messages';
import { purgeFinishedRecipients } from './delivery/retention';
import { deliverDue } from './delivery/worker';
import { purgeCallAnswers } from './events/call-answers';
import { ANSWERS_LOOP, EVENTS_LOOP } from './events/outbox';
import { purgeDeliveredEvents } from './events/retention';
import { eventsLoopSpacingMs, runAnswersOnce, runEventsOnce } from './events/worker';
import { resumeExpiredPauses } from './identity/lifecycle';
import { purgeInboundUpdates } from './inbound/inbound';
import { purgeExpiredKeys } from './platform/http/once-per-key';
import type { Runtime } from './runtime';
import { WAITS_LOOP } from './waits/loop-name';
import { runWaitsOnce } from './waits/resumes';

export interface Workers {
  stop(): Promise<void>;
}

interface Loop {
  name: string;
  intervalMs: number | ((runtime: Runtime) => number);
  /** Resolves true when there is more work right now: the loop runs again without waiting. */
  run(runtime: Runtime): Promise<unknown>;
  /** Run once as soon as the workers start, not only after the first interval. */
  runAtStart?: boolean;
  /**
   * A wake-up within this long of the last run's start waits for the rest of it: under a stream of
   * wake-ups (a commit every few milliseconds) the loop then runs at most this often, each run taking
   * everything that gathered, instead of once per commit. A run that reports more work still goes on
   * at once. `lastRunMs` is how long the last run took.
   */
  minSpacingMs?: (runtime: Runtime, lastRunMs: number) => number;
  /** Releases what the loop holds (connections, leases) when the workers stop. */
  stop?(runtime: Runtime): Promise<void>;
}

/**
 * The background loops of this process. Each capability that works off a queue (delivery, event
 * webhooks, pauses that expire) adds its loop here. Loops never overlap themselves, a failing run
 * is logged and retried at the next tick, and `runtime.wakeups.wake(name)` runs one at once.
 */
const loops: Loop[] = [
  { name: 'idempotency-purge', intervalMs: 15 * 60_000, run: purgeExpiredKeys },
  { name: 'identity-auto-resume', intervalMs: 30_000, run: resumeExpiredPauses },
  { name: 'inbound-dedupe-purge', intervalMs: 60 * 60_000, run: purgeInboundUpdates },
  { name: 'events-purge', intervalMs: 60 * 60_000, run: purgeDeliveredEvents },
  { name: 'call-answers-purge', intervalMs: 60 * 60_000, run: purgeCallAnswers },
  { name: 'delivery-purge', intervalMs: 60 * 60_000, run: purgeFinishedRecipients },
  { name: 'analytics-purge', intervalMs: 60 * 60_000, run: purgeAnalyticsState },
  { name: 'webchat-files-purge', intervalMs: 60 * 60_000, run: purgeVisitorFiles },
  { name: DELIVERY_LOOP, intervalMs: (runtime) => runtime.config.DELIVERY_POLL_MS, run: deliverDue, runAtStart: true },
  { name: TELEGRAM_LOOP, intervalMs: 5_000, run: syncTelegram, runAtStart: true, stop: stopTelegram },
  { name: STAFF_GROUP_LOOP, intervalMs: 1000, run: sendStaffPosts, runAtStart: true },
  { name: VK_LOOP, intervalMs: 5_000, run: syncVk, runAtStart: true, stop: stopVk },
  { name: EVENTS_LOOP, intervalMs: 500, run: runEventsOnce, runAtStart: true, minSpacingMs: eventsLoopSpacingMs },
  { name: ANSWERS_LOOP, intervalMs: 500, run: runAnswersOnce, runAtStart: true, stop: (runtime) => runtime.answering.stop() },
  { name: WAITS_LOOP, intervalMs: 500, run: runWaitsOnce, runAtStart: true },
  { name: CONVERSATION_TIMEOUTS_LOOP, intervalMs: 1_000, run: runOperatorTimeoutsOnce, runAtStart: true },
];

function startLoop(runtime: Runtime, loop: Loop, state: { stopped: boolean; running: Set<Promise<unknown>> }) {
  let busy = false;
  let woken = false;
  let more = false;
  let lastStart = -Infinity;
  let lastRunMs = 0;
  let spaced: NodeJS.Timeout | undefined;
  const start = () => {
    // A run started by a wake-up in the meantime does what this one would have.
    if (state.stopped || busy) return;
    busy = true;
    lastStart = performance.now();
    const run = loop
      .run(runtime)
      .then((result) => void (more = result === true))
      .catch((err) => runtime.logger.error({ err, loop: loop.name }, 'background loop failed'))
      .finally(() => {
        busy = false;
        lastRunMs = performance.now() - lastStart;
        state.running.delete(run);
        if (more) setImmediate(start);
        else if (woken) setImmediate(tick);
        more = woken = false;
      });
    state.running.add(run);
  };
  const tick = () => {
    if (state.stopped || spaced) return;
    if (busy) return void (woken = true);
    const wait = lastStart + (loop.minSpacingMs?.(runtime, lastRunMs) ?? 0) - performance.now();
    if (wait <= 0) return start();
    spaced = setTimeout(() => {
      spaced = undefined;
      tick();
    }, wait);
  };
  const unsubscribe = runtime.wakeups.onWake(loop.name, tick);
  if (loop.runAtStart) setImmediate(tick);
  const timer = setInterval(tick, typeof loop.intervalMs === 'number' ? loop.intervalMs : loop.intervalMs(runtime));
  return () => {
    unsubscribe();
    clearInterval(timer);
    clearTimeout(spaced);
  };
}

export function startWorkers(runtime: Runtime): Workers {
  const state = { stopped: false, running: new Set<Promise<unknown>>() };
  const stops = loops.map((loop) => startLoop(runtime, loop, state));
  return {
    async stop() {
      state.stopped = true;
      stops.forEach((stop) => stop());
      await Promise.all(state.running);
      await Promise.all(loops.map((loop) => loop.stop?.(runtime)));
    },
  };
}
