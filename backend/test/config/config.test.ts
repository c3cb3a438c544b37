import { ConfigError, loadConfig } from '../../src/platform/config/config';
import { runCli } from '../support/cli';

describe('configuration', () => {
  it('applies the documented defaults: SQLite under ./data, port 3000', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ PORT: 3000, HOST: '127.0.0.1', BODY_LIMIT: '1mb', IDEMPOTENCY_TTL_HOURS: 24 });
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.sqliteFile).toMatch(/data\/metabot\.sqlite$/);
    expect(config.publicUrl).toBe('http://127.0.0.1:3000');
  });

  it('names every bad variable and what is wrong with it', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', BODY_LIMIT: 'huge', SECRET_KEY: 'short' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of ['PORT', 'DATABASE_URL', 'BODY_LIMIT', 'SECRET_KEY']) expect(problems).toContain(name);
  });

  it('reads WEBHOOK_ALLOWED_HOSTS as hosts the URL parser would write, each with an optional port; private targets are refused by default', () => {
    expect(loadConfig({}).WEBHOOK_ALLOW_PRIVATE).toBe(false);
    const config = loadConfig({ WEBHOOK_ALLOWED_HOSTS: ' N8N.internal:5678, 2130706433 ,[::1]:80,' });
    expect(config.WEBHOOK_ALLOWED_HOSTS).toEqual([{ host: 'n8n.internal', port: 5678 }, { host: '127.0.0.1', port: undefined }, { host: '[::1]', port: 80 }]);
    for (const bad of ['http://n8n:5678', 'n8n:port', 'user@n8n']) expect(() => loadConfig({ WEBHOOK_ALLOWED_HOSTS: bad })).toThrow(/WEBHOOK_ALLOWED_HOSTS/);
  });

  it('a bad value stops the process with a message naming the variable', () => {
    const result = runCli(['serve'], { PORT: '70000' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('PORT');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
