import { analyzeSync, Liquid, LiquidError, type Template, Variable } from 'liquidjs';

// Everything that touches LiquidJS itself. templates.ts loads this module on the first template it
// parses or renders, not at start (docs/ARCHITECTURE.md, "Memory at start"): building an engine
// reads ICU's time-zone data, and a backend that sends nothing needs neither.

export type ParseMode = 'HTML' | 'MarkdownV2' | undefined;

/**
 * Which markup a template string uses. n8n evaluates every `{{ … }}` of a field in expression
 * mode before the backend sees it, so per-recipient placeholders can also be written `[[ … ]]`
 * (tags `[% … %]`), which n8n leaves alone. A string containing `[[` or `[%` anywhere is read
 * with the square delimiters only (a `{{` left in it is literal text), so an unclosed `[[` is an
 * error rather than text sent as is; any other string with the curly ones, as existing workflows
 * expect. docs/templates.md states the rule.
 */
export type Delimiters = 'curly' | 'square';
const SQUARE_MARKUP = /\[\[|\[%/;

export function delimitersOf(source: string): Delimiters {
  return SQUARE_MARKUP.test(source) ? 'square' : 'curly';
}

const delimiterOptions = {
  curly: {},
  square: { outputDelimiterLeft: '[[', outputDelimiterRight: ']]', tagDelimiterLeft: '[%', tagDelimiterRight: '%]' },
};

const escapeHtml = (value: unknown) =>
  String(value ?? '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const escapeMarkdownV2 = (value: unknown) => String(value ?? '').replace(/[_*[\]()~`>#+\-=|{}.!\\]/g, '\\$&');

/**
 * LiquidJS set up for text that business users edit: unknown filters are errors, only own
 * properties are visible, no file system (`templates: {}`), and parse/render limits. Values are
 * escaped for the message's parse mode so a lead's name cannot break Telegram's markup.
 */
function engine(delimiters: Delimiters, outputEscape?: (value: unknown) => string): Liquid {
  return new Liquid({
    strictFilters: true,
    strictVariables: false,
    ownPropertyOnly: true,
    templates: {},
    parseLimit: 100_000,
    renderLimit: 200,
    memoryLimit: 10_000_000,
    ...delimiterOptions[delimiters],
    ...(outputEscape ? { outputEscape } : {}),
  });
}

const engines = {
  curly: { plain: engine('curly'), HTML: engine('curly', escapeHtml), MarkdownV2: engine('curly', escapeMarkdownV2) },
  square: { plain: engine('square'), HTML: engine('square', escapeHtml), MarkdownV2: engine('square', escapeMarkdownV2) },
};

/** Delimiters matter only to parsing, so one engine per parse mode renders both. */
function engineFor(parseMode: ParseMode, delimiters: Delimiters = 'curly'): Liquid {
  return engines[delimiters][parseMode ?? 'plain'];
}

/** Parses with the delimiters the source uses; throws LiquidJS's error. */
export function parse(source: string, parseMode: ParseMode): Template[] {
  return engineFor(parseMode, delimitersOf(source)).parse(source);
}

/** Renders parsed text escaped for `parseMode`; throws LiquidJS's error. */
export function render(part: Template[], parseMode: ParseMode, data: Record<string, unknown>): string {
  return engineFor(parseMode).renderSync(part, data) as string;
}

/** Parses and renders a one-off string unescaped. */
export function renderString(source: string, variables: Record<string, unknown>): string {
  const liquid = engineFor(undefined, delimitersOf(source));
  return liquid.renderSync(liquid.parse(source), variables) as string;
}

export interface LiquidFailure {
  message: string;
  line?: number;
  column?: number;
}

/** LiquidJS's messages end in ", line:1, col:4"; the position travels separately, the rest is reworded. */
export function describeFailure(error: unknown): LiquidFailure {
  if (!(error instanceof LiquidError)) return { message: (error as Error).message };
  const [line, column] = error.token?.getPosition() ?? [];
  const raw = error.message.replace(/, line:\d+, col:\d+$/, '');
  const message = raw
    .replace(/^output "(.*)" not closed$/s, 'the placeholder "$1" is not closed')
    .replace(/^tag "?(.*?)"? not closed$/s, 'the tag "$1" is not closed (its end tag is missing)')
    .replace(/^tag "(.*)" not found$/, 'there is no tag "$1"')
    .replace(/^undefined filter: (.*)$/, 'there is no filter "$1"')
    .replace(/^invalid value expression: ""$/, 'a value is missing here')
    .replace(/^invalid value expression: "(.*)"$/, '"$1" is not a value');
  return { message, line, column };
}

/** Liquid's size/first/last read through arrays and strings without being own properties. */
const SPECIAL_PROPERTIES: readonly string[] = ['size', 'first', 'last'];

function resolves(segments: Variable['segments'], scope: unknown): boolean {
  let value = scope;
  for (const segment of segments) {
    // A computed segment (`attributes[params.k]`) is checked as a variable of its own.
    if (segment instanceof Variable) return true;
    if (value !== null && typeof value === 'object' && Object.hasOwn(value, segment)) value = (value as Record<string | number, unknown>)[segment];
    else return SPECIAL_PROPERTIES.includes(String(segment)) && (Array.isArray(value) || typeof value === 'string');
  }
  return value !== undefined && value !== null;
}

export interface UnresolvedPlaceholder {
  placeholder: string;
  line: number;
  column: number;
}

/** The placeholders of parsed text that have no value in `scope`. */
export function unresolvedPlaceholders(part: Template[], scope: unknown): UnresolvedPlaceholder[] {
  const variables = Object.values(analyzeSync(part, { partials: false }).globals).flat();
  return variables.filter((v) => !resolves(v.segments, scope)).map((v) => ({ placeholder: v.toString(), line: v.location.row, column: v.location.col }));
}
