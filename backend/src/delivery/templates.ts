import type { Template } from 'liquidjs';
import type { MessageButton } from '../channels/channel';
import type { Profile } from '../channels/inbound-update';
import type * as LiquidModule from './liquid';
import type { ParseMode } from './liquid';

// LiquidJS loads with the first template parsed or rendered, not at start (see liquid.ts); after
// that Node's require cache answers.
const liquid = () => require('./liquid') as typeof LiquidModule;

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

function explainLiquid(error: unknown, path: string): TemplateError {
  return new TemplateError({ path, ...liquid().describeFailure(error) });
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
    return liquid().parse(source, parseMode);
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
  return liquid().renderString(source, variables);
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
  return { text: renderPart(undefined, b.text, data, path), ...(b.data !== undefined ? { data: b.data } : {}), ...(b.url !== undefined ? { url: b.url } : {}) };
}

function renderPart(parseMode: ParseMode, part: Template[], data: Record<string, unknown>, path: string): string {
  try {
    return liquid().render(part, parseMode, data);
  } catch (error) {
    throw explainLiquid(error, path);
  }
}

/** Renders the person's variant. */
export function renderTemplate(template: MessageTemplate, scope: TemplateScope): RenderedTemplate {
  const { language, body, prefix } = variantOf(template, scope);
  const data = scope as unknown as Record<string, unknown>;
  return {
    text: renderPart(template.parseMode, body.text, data, `${prefix}text`),
    buttons: body.buttons?.map((row, r) => row.map((b, c) => renderButton(b, data, `${prefix}buttons.${r}.${c}.text`))),
    ...(language ? { language } : {}),
  };
}

function unknownIn(part: Template[], scope: TemplateScope, path: string): TemplateProblem[] {
  return liquid()
    .unresolvedPlaceholders(part, scope)
    .map((p) => ({ path, ...p, message: `"${p.placeholder}" has no value for this person` }));
}

/** Every placeholder of the variant this person gets that has no value for them, with its position. */
export function unknownPlaceholders(template: MessageTemplate, scope: TemplateScope): TemplateProblem[] {
  const { body, prefix } = variantOf(template, scope);
  const buttons = (body.buttons ?? []).flatMap((row, r) => row.map((b, c) => unknownIn(b.text, scope, `${prefix}buttons.${r}.${c}.text`)));
  return [...unknownIn(body.text, scope, `${prefix}text`), ...buttons.flat()];
}
