import { analyzeSync, Liquid, LiquidError, type Template, Variable } from 'liquidjs';
import type { MessageButton } from '../channels/channel';
import type { Profile } from '../channels/inbound-update';

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

function engineFor(parseMode: ParseMode, delimiters: Delimiters = 'curly'): Liquid {
  return engines[delimiters][parseMode ?? 'plain'];
}

/** Where in a message a template string sits (`text`, `buttons.0.1.text`, `variants.ru.text`) and what is wrong there. */
export interface TemplateProblem {
  path: string;
  message: string;
  line?: number;
  column?: number;
  placeholder?: string;
}

/** A template that does not parse or render, told in words a marketer reads, with where it went wrong. */
export class TemplateError extends Error {
  constructor(readonly problem: TemplateProblem) {
    super(`${problem.path}${problem.line ? ` (line ${problem.line}, column ${problem.column})` : ''}: ${problem.message}`);
  }
}

/** LiquidJS's messages end in ", line:1, col:4"; the position travels separately, the rest is reworded. */
function explainLiquid(error: unknown, path: string): TemplateError {
  if (!(error instanceof LiquidError)) return new TemplateError({ path, message: (error as Error).message });
  const [line, column] = error.token?.getPosition() ?? [];
  const raw = error.message.replace(/, line:\d+, col:\d+$/, '');
  const message = raw
    .replace(/^output "(.*)" not closed$/s, 'the placeholder "$1" is not closed')
    .replace(/^tag "?(.*?)"? not closed$/s, 'the tag "$1" is not closed (its end tag is missing)')
    .replace(/^tag "(.*)" not found$/, 'there is no tag "$1"')
    .replace(/^undefined filter: (.*)$/, 'there is no filter "$1"')
    .replace(/^invalid value expression: ""$/, 'a value is missing here')
    .replace(/^invalid value expression: "(.*)"$/, '"$1" is not a value');
  return new TemplateError({ path, message, line, column });
}

interface CompiledButton {
  text: Template[];
  data?: string;
  url?: string;
}

interface CompiledBody {
  text: Template[];
  buttons?: CompiledButton[][];
}

export interface MessageTemplate {
  parseMode: ParseMode;
  body: CompiledBody;
  /** By language tag, lower case (`ru`, `pt-br`). */
  variants: Record<string, CompiledBody>;
}

/** What a message gives to be rendered: the default text and buttons, and variants by language. */
export interface TemplateSource {
  text: string;
  parseMode?: 'HTML' | 'MarkdownV2';
  buttons?: MessageButton[][];
  variants?: Record<string, { text: string; buttons?: MessageButton[][] }>;
}

function parsePart(source: string, parseMode: ParseMode, path: string): Template[] {
  try {
    return engineFor(parseMode, delimitersOf(source)).parse(source);
  } catch (error) {
    throw explainLiquid(error, path);
  }
}

function compileBody(text: string, parseMode: ParseMode, buttons: MessageButton[][] | undefined, path: string): CompiledBody {
  return {
    text: parsePart(text, parseMode, `${path}text`),
    buttons: buttons?.map((row, r) => row.map((b, c) => ({ text: parsePart(b.text, undefined, `${path}buttons.${r}.${c}.text`), data: b.data, url: b.url }))),
  };
}

/** Parses every template string once; throws TemplateError (with line and column) on the first bad one. */
export function compileTemplate(source: TemplateSource): MessageTemplate {
  const variants = Object.entries(source.variants ?? {}).map(([language, v]) => [language, compileBody(v.text, source.parseMode, v.buttons ?? source.buttons, `variants.${language}.`)]);
  return { parseMode: source.parseMode, body: compileBody(source.text, source.parseMode, source.buttons, ''), variants: Object.fromEntries(variants) };
}

/** Text that renders as itself: every `{` and `[` becomes an output of that character, so no tag can start. */
export function literalText(text: string): string {
  return text.replace(/[{[]/g, (c) => `{{ '${c}' }}`);
}

/** Renders a one-off template string (identity notices) with whichever delimiters it uses. */
export function renderString(source: string, variables: Record<string, unknown>): string {
  const liquid = engineFor(undefined, delimitersOf(source));
  return liquid.renderSync(liquid.parse(source), variables) as string;
}

export interface TemplateScope {
  lead: { id: string; channel: string; chatId: string; attributes: Record<string, unknown> } & Profile;
  /** The linked CRM user; `profile` is their stored fields (`users/update`), empty for a lead no user is linked to. */
  user: { userId: string | null; profile: Record<string, unknown> };
  params: Record<string, unknown>;
}

/**
 * The variant a person gets: their channel's language (`lead.language`), else a `language`
 * attribute a workflow set; an exact tag first (`pt-br`), then its primary subtag (`pt`).
 * Undefined means the default text.
 */
export function chooseLanguage(available: string[], scope: TemplateScope): string | undefined {
  const attribute = scope.lead.attributes.language;
  const wanted = (scope.lead.language ?? (typeof attribute === 'string' ? attribute : undefined))?.toLowerCase();
  if (!wanted) return undefined;
  return available.find((l) => l === wanted) ?? available.find((l) => l === wanted.split('-')[0]);
}

function variantOf(template: MessageTemplate, scope: TemplateScope): { language?: string; body: CompiledBody; prefix: string } {
  const language = chooseLanguage(Object.keys(template.variants), scope);
  return language ? { language, body: template.variants[language], prefix: `variants.${language}.` } : { body: template.body, prefix: '' };
}

export interface RenderedTemplate {
  text: string;
  buttons?: MessageButton[][];
  /** The variant rendered, absent for the default. */
  language?: string;
}

function renderButton(b: CompiledButton, data: Record<string, unknown>, path: string): MessageButton {
  return { text: renderPart(engines.curly.plain, b.text, data, path), ...(b.data !== undefined ? { data: b.data } : {}), ...(b.url !== undefined ? { url: b.url } : {}) };
}

function renderPart(liquid: Liquid, part: Template[], data: Record<string, unknown>, path: string): string {
  try {
    return liquid.renderSync(part, data) as string;
  } catch (error) {
    throw explainLiquid(error, path);
  }
}

/** Renders the person's variant (delimiters matter only to parsing, so one engine per parse mode renders both). */
export function renderTemplate(template: MessageTemplate, scope: TemplateScope): RenderedTemplate {
  const { language, body, prefix } = variantOf(template, scope);
  const data = scope as unknown as Record<string, unknown>;
  return {
    text: renderPart(engineFor(template.parseMode), body.text, data, `${prefix}text`),
    buttons: body.buttons?.map((row, r) => row.map((b, c) => renderButton(b, data, `${prefix}buttons.${r}.${c}.text`))),
    ...(language ? { language } : {}),
  };
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

function unknownIn(part: Template[], scope: TemplateScope, path: string): TemplateProblem[] {
  const variables = Object.values(analyzeSync(part, { partials: false }).globals).flat();
  return variables
    .filter((v) => !resolves(v.segments, scope))
    .map((v) => ({ path, placeholder: v.toString(), line: v.location.row, column: v.location.col, message: `"${v.toString()}" has no value for this person` }));
}

/** Every placeholder of the variant this person gets that has no value for them, with its position. */
export function unknownPlaceholders(template: MessageTemplate, scope: TemplateScope): TemplateProblem[] {
  const { body, prefix } = variantOf(template, scope);
  const buttons = (body.buttons ?? []).flatMap((row, r) => row.map((b, c) => unknownIn(b.text, scope, `${prefix}buttons.${r}.${c}.text`)));
  return [...unknownIn(body.text, scope, `${prefix}text`), ...buttons.flat()];
}
