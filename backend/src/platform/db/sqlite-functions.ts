/**
 * SQL functions SQLite lacks, registered on every connection so both dialects answer alike:
 * `metabot_like(value, pattern, caseInsensitive)` is PostgreSQL's LIKE / ILIKE (`%`, `_`, `\` escapes;
 * case-sensitive, or Unicode case-insensitive) — SQLite's own LIKE ignores ASCII case only.
 */
interface SqliteConnection {
  function(name: string, options: { deterministic: boolean }, fn: (...args: unknown[]) => unknown): unknown;
}

const MAX_CACHED_PATTERNS = 500;
const ANY = 0; // %
const ONE = 1; // _
/** A pattern: wildcards, and literal characters (code points, folded when case-insensitive). */
type Token = typeof ANY | typeof ONE | string;
const patterns = new Map<string, Token[]>();

const fold = (char: string) => char.toUpperCase().toLowerCase();

function compile(pattern: string, caseInsensitive: boolean): Token[] {
  const key = `${caseInsensitive ? 'i' : 's'}${pattern}`;
  const cached = patterns.get(key);
  if (cached) return cached;
  const chars = Array.from(pattern);
  const literal = caseInsensitive ? fold : (char: string) => char;
  const tokens: Token[] = [];
  for (let i = 0; i < chars.length; i++) {
    const char = chars[i];
    if (char === '\\' && i + 1 < chars.length) tokens.push(literal(chars[++i]));
    else if (char === '%') {
      if (tokens.at(-1) !== ANY) tokens.push(ANY);
    } else tokens.push(char === '_' ? ONE : literal(char));
  }
  if (patterns.size >= MAX_CACHED_PATTERNS) patterns.clear();
  patterns.set(key, tokens);
  return tokens;
}

/**
 * LIKE by the classic wildcard walk: on a mismatch only the last `%` is retried one character
 * further, so the cost is at most value × pattern length. (A regular expression backtracks through
 * every `%`: `%%%y` against 2,000 characters took seconds, and a request could stall the process.)
 */
export function likeMatches(value: string, pattern: string, caseInsensitive: boolean): boolean {
  const tokens = compile(pattern, caseInsensitive);
  const text = Array.from(value, caseInsensitive ? fold : (char: string) => char);
  let [t, p, star, resume] = [0, 0, -1, 0];
  while (t < text.length) {
    const token = tokens[p];
    if (token === ANY) [star, resume, p] = [p, t, p + 1];
    else if (p < tokens.length && (token === ONE || token === text[t])) [t, p] = [t + 1, p + 1];
    else if (star >= 0) [p, t, resume] = [star + 1, resume + 1, resume + 1];
    else return false;
  }
  while (tokens[p] === ANY) p++;
  return p === tokens.length;
}

export function registerSqliteFunctions(connection: SqliteConnection): void {
  connection.function('metabot_like', { deterministic: true }, (value, pattern, caseInsensitive) => {
    if (typeof value !== 'string' || typeof pattern !== 'string') return null;
    return likeMatches(value, pattern, caseInsensitive === 1) ? 1 : 0;
  });
}
