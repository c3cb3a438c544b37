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

  it('a bad value stops the process with a message naming the variable', () => {
    const result = runCli(['serve'], { PORT: '70000' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('PORT');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
