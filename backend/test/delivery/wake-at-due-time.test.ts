import { createTelegramBot, seedLinkedLeads, type StandinBot, useStandinBackend } from '../support/delivery';
import { dialect } from '../support/test-backend';

/**
 * With the delivery loop's tick a minute apart, only the wake-up armed at accept can make a
 * scheduled message leave at its time: it does, on the real clock.
 */
describe(`a scheduled send wakes the delivery loop at its due time (${dialect})`, () => {
  const setup = useStandinBackend({ DELIVERY_POLL_MS: '60000' });
  let botId: number;
  let token: string;
  let telegram: StandinBot;

  beforeAll(async () => {
    ({ botId, token, telegram } = await createTelegramBot(setup.backend, setup.standin));
  });

  it('leaves within a second of sendAt, not at the next tick', async () => {
    const [lead] = await seedLinkedLeads(setup.backend.ctx.db, botId, [7001]);
    // Let the loop's start-up pass go by, so the next tick is a minute away.
    await new Promise((r) => setTimeout(r, 300));
    const dueAt = Date.now() + 1500;
    const res = await setup.backend.request('POST', `/api/v1/bots/${botId}/messages`, { token, body: { userIds: [lead.userId], text: 'on time', sendAt: new Date(dueAt).toISOString() } });
    expect(res.status).toBe(202);
    expect(res.body.scheduled).toBe(1);
    await telegram.waitFor((messages) => messages.some((m) => m.text === 'on time'), 40_000);
    const arrived = telegram.messages.find((m) => m.text === 'on time')!.at;
    expect(arrived).toBeGreaterThanOrEqual(dueAt);
    // Generous for a loaded machine, far below the minute of the tick.
    expect(arrived - dueAt).toBeLessThan(15_000);
  });
});
