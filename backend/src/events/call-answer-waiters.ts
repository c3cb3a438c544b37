import type { AppContext } from '../platform/context';
import { type AnswerHop, CALL_ANSWER_DECIDED, type CallAnswerRow, decideCallAnswer, decidedCallAnswers, readCallAnswer } from './call-answers';

/**
 * How often a process looks for answers decided by another process while a call waits. An answer
 * decided in this process is learnt at once (CALL_ANSWER_DECIDED); one from another process within
 * this interval, which stays far below the shortest answer timeout (100 ms would be its whole window).
 */
export const ANSWER_POLL_MS = 25;

type Resolver = { resolve: (row: CallAnswerRow) => void; reject: (error: unknown) => void; deadlineTimer: NodeJS.Timeout; hop: AnswerHop };

/**
 * The calls of this process waiting for their answer (held in the Runtime): endpoint calls, and
 * Telegram pre-checkouts a workflow decides. One query per poll serves every waiting call, and only
 * while some call waits; at a call's deadline the fallback is decided (unless an answer won first)
 * and the call gets whichever was decided.
 */
export class CallAnswerWaiters {
  private readonly waiting = new Map<number, Resolver[]>();
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private pollAgain = false;

  constructor(private readonly ctx: Pick<AppContext, 'db' | 'clock' | 'wakeups' | 'logger'>) {
    ctx.wakeups.onWake(CALL_ANSWER_DECIDED, () => this.poll());
  }

  /** Resolves with the call's decided row: the workflow's answer, or the fallback once `deadline` passed. */
  wait(eventId: number, deadline: number, hop: AnswerHop = 'endpoint.answered'): Promise<CallAnswerRow> {
    return new Promise((resolve, reject) => {
      const deadlineTimer = setTimeout(() => void this.timeOut(eventId), Math.max(0, deadline - this.ctx.clock.now()));
      const resolvers = this.waiting.get(eventId) ?? [];
      resolvers.push({ resolve, reject, deadlineTimer, hop });
      this.waiting.set(eventId, resolvers);
      this.timer ??= setInterval(() => this.poll(), ANSWER_POLL_MS);
      // The decision may already be in (made before this call started waiting).
      this.poll();
    });
  }

  /** The server stops: calls still waiting fail (their connections are being closed anyway). */
  close(): void {
    for (const eventId of [...this.waiting.keys()]) this.settle(eventId, (r) => r.reject(new Error('the server is stopping')));
  }

  private poll(): void {
    if (this.waiting.size === 0) return;
    if (this.polling) return void (this.pollAgain = true);
    this.polling = decidedCallAnswers(this.ctx.db, [...this.waiting.keys()])
      .then((rows) => rows.forEach((row) => this.settle(Number(row.event_id), (r) => r.resolve(row))))
      .catch((err) => this.ctx.logger.warn({ err }, 'reading call answers failed'))
      .finally(() => {
        this.polling = undefined;
        if (this.pollAgain) setImmediate(() => this.poll());
        this.pollAgain = false;
      });
  }

  private async timeOut(eventId: number): Promise<void> {
    const hop = this.waiting.get(eventId)?.[0]?.hop;
    if (!hop) return;
    try {
      const row = await this.ctx.db.transaction(async (trx) => {
        const current = await readCallAnswer(trx, eventId);
        if (current?.status === 'waiting') {
          const timeoutMs = current.deadline - current.created_at;
          await decideCallAnswer(trx, this.ctx, eventId, { status: 'fallback', reason: `no answer within ${timeoutMs} ms` }, hop);
        }
        return readCallAnswer(trx, eventId);
      });
      if (!row) throw new Error(`call answer ${eventId} is gone`);
      this.settle(eventId, (r) => r.resolve(row));
    } catch (error) {
      // Unreachable database: the call's request fails (503) instead of waiting on.
      this.settle(eventId, (r) => r.reject(error));
    }
  }

  private settle(eventId: number, action: (resolver: Resolver) => void): void {
    const resolvers = this.waiting.get(eventId);
    if (!resolvers) return;
    this.waiting.delete(eventId);
    for (const resolver of resolvers) {
      clearTimeout(resolver.deadlineTimer);
      action(resolver);
    }
    if (this.waiting.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}
