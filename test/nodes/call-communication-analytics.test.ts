import { waitUntilDone, type SeededLead, type StandinBot } from '../../backend/test/support/delivery';
import { eventually } from '../../backend/test/support/eventually';
import type { TestBackend } from '../../backend/test/support/test-backend';
import { describeWithN8n } from './support/n8n-runtime';
import { startTelegramStand, type TelegramStand } from './support/telegram-stand';

describeWithN8n('Call Communication: Ask for Rating and Get Analytics in the n8n engine', () => {
  let backend: TestBackend;
  let engine: import('./support/n8n-engine').N8nEngine;
  let botId: number;
  let token: string;
  let telegram: StandinBot;
  let lead: SeededLead;

  let stand: TelegramStand;
  beforeAll(async () => {
    stand = await startTelegramStand({ chatIds: [9101] });
    ({ backend, engine, botId, token, telegram, leads: [lead] } = stand);
  }, 120_000);
  afterAll(() => stand?.close());

  it('asks with buttons 1 to 5, the tap becomes a rating, and Get Analytics reports it', async () => {
    const asked = await engine.run([
      { name: 'Ask', type: 'callCommunication', parameters: { resource: 'message', operation: 'askRating', recipientType: 'userIds', recipients: lead.userId, text: 'How did we do?' } },
    ]);
    const messageId = String(asked.output('Ask')[0].json.messageId);
    await waitUntilDone(backend, botId, token, messageId);
    const [question] = telegram.messagesTo(lead.chatId);
    expect(question.replyMarkup).toEqual({ inline_keyboard: [[1, 2, 3, 4, 5].map((n) => ({ text: String(n), callback_data: `rating:${n}` }))] });
    // The send reaches the rollups with the fan-out; the tap then answers it.
    await eventually(() => backend.ctx.db('analytics_last_sends').where({ lead_id: lead.leadId }).first());
    telegram.tapButton(lead.chatId, 'rating:5', { messageId: question.messageId });

    const report = async (view: string) =>
      (await engine.run([{ name: 'Report', type: 'callCommunication', parameters: { resource: 'analytics', operation: 'get', view, period: 'last7', options: { engagementHours: 24 } } }])).output('Report')[0].json;
    const bot = (await eventually(async () => {
      const figures = (await report('bot')).figures as Record<string, any>;
      return figures.csat.ratings === 1 && figures;
    })) as Record<string, any>;
    expect(bot.csat).toMatchObject({ ratings: 1, average: 5 });
    expect(bot.delivery).toMatchObject({ sent: 1, failed: 0, rate: 1 });
    expect(bot.engagement).toMatchObject({ engaged: 1, rate: 1 });
    expect(((await report('channels')).channels as any[])[0]).toMatchObject({ channel: 'telegram', figures: { csat: { distribution: { 5: 1 } } } });
    expect(((await report('series')).series as any[]).length).toBeGreaterThan(0);
    // The heat map: the one send in one of the 168 cells of the week, answered.
    const cells = (await report('heatmap')).cells as any[];
    expect(cells).toHaveLength(168);
    expect(cells.filter((c) => c.sent > 0)).toEqual([expect.objectContaining({ sent: 1, engaged: 1, engagementRate: 1 })]);
  });
});
