/**
 * SQL functions SQLite lacks, registered on every connection so both dialects answer alike:
 * `metabot_like(value, pattern, caseInsensitive)` is PostgreSQL's LIKE / ILIKE (`%`, `_`, `\` escapes;
 * case-sensitive, or Unicode case-insensitive) — SQLite's own LIKE ignores ASCII case only.
 */
interface SqliteConnection {
  function(name: string, options: { deterministic: boolean }, fn: (...args: unknown[]) => unknown): unknown;
}

const MAX_CACHED_PATTERNS = 500;
const patterns = new Map<string, RegExp>();

export function likeToRegExp(pattern: string, caseInsensitive: boolean): RegExp {
  const key = `${caseInsensitive ? 'i' : 's'}${pattern}`;
  const cached = patterns.get(key);
  if (cached) return cached;
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i];
    if (char === '\\' && i + 1 < pattern.length) source += escapeRegExp(pattern[++i]);
    else if (char === '%') source += '.*';
    else if (char === '_') source += '.';
    else source += escapeRegExp(char);
  }
  const regexp = new RegExp(`^${source}$`, caseInsensitive ? 'isu' : 'su');
  if (patterns.size >= MAX_CACHED_PATTERNS) patterns.clear();
  patterns.set(key, regexp);
  return regexp;
}

// Only syntax characters: with the `u` flag an escaped `-` (or any other identity escape) is a SyntaxError.
function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

export function registerSqliteFunctions(connection: SqliteConnection): void {
  connection.function('metabot_like', { deterministic: true }, (value, pattern, caseInsensitive) => {
    if (typeof value !== 'string' || typeof pattern !== 'string') return null;
    return likeToRegExp(pattern, caseInsensitive === 1).test(value) ? 1 : 0;
  });
}
