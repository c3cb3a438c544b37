import { getBot, updateBotSettings, updateBotSettingsSection } from '../../src/bots/bots';
import { dialect, startTestBackend, type TestBackend } from '../support/test-backend';

describe(`a bot's settings merged by several writers at once (${dialect})`, () => {
  let backend: TestBackend;
  beforeAll(async () => {
    backend = await startTestBackend({ env: { WORKERS_ENABLED: 'false' } });
  });
  afterAll(() => backend.close());

  it('keeps every key when 20 merges of different keys race (no merge writes another\'s old settings back)', async () => {
    const { botId } = await backend.createBot();
    const keys = Array.from({ length: 20 }, (_, i) => `key${i}`);
    await Promise.all(keys.map((key, i) => updateBotSettings(backend.ctx, botId, { [key]: { value: i } })));
    const { settings } = (await getBot(backend.ctx, botId))!;
    expect(keys.filter((key) => settings[key] === undefined)).toEqual([]);
    expect(keys.map((key) => (settings[key] as { value: number }).value)).toEqual(keys.map((_, i) => i));
  });

  it('keeps every key of one section when 20 changes of it race (each starts from the section as it is)', async () => {
    const { botId } = await backend.createBot();
    const keys = Array.from({ length: 20 }, (_, i) => `key${i}`);
    await Promise.all(keys.map((key) => updateBotSettingsSection(backend.ctx, botId, 'telegram', (telegram) => ({ ...telegram, [key]: true }))));
    expect(Object.keys((await getBot(backend.ctx, botId))!.settings.telegram as object).sort()).toEqual([...keys].sort());
  });
});
