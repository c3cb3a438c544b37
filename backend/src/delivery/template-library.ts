import type { Knex } from 'knex';
import diff from 'microdiff';
import type { AppContext } from '../platform/context';
import { conflict, invalid, notFound } from '../platform/errors';
import { fromJson, isUniqueViolation, toJson } from '../platform/db/database';
import type { TemplateContent } from './content-schema';
import { compileTemplate, TemplateError } from './templates';

/**
 * The bot's template library: named texts a send refers to (`template: {name, version?}`), so the
 * communications manager changes a text without editing workflows. Versioned like communication
 * maps: every save and rollback is a new version, history is never rewritten.
 */
export interface TemplateVersion {
  name: string;
  version: number;
  author: string;
  comment: string;
  rolledBackFrom: number | null;
  createdAt: number;
}

export interface StoredTemplate extends TemplateVersion {
  content: TemplateContent;
}

interface TemplateRow {
  bot_id: number;
  name: string;
  version: number;
  content: string;
  author: string;
  comment: string;
  rolled_back_from: number | null;
  created_at: number | string;
}

function toStored(row: TemplateRow): StoredTemplate {
  return {
    name: row.name,
    version: Number(row.version),
    author: row.author,
    comment: row.comment,
    rolledBackFrom: row.rolled_back_from,
    createdAt: Number(row.created_at),
    content: fromJson<TemplateContent>(row.content),
  };
}

function withoutContent({ content: _content, ...version }: StoredTemplate): TemplateVersion {
  return version;
}

/** A template that would fail at every send is refused when saved, with where it went wrong. */
function checkContent(content: TemplateContent): void {
  try {
    compileTemplate(content);
  } catch (error) {
    if (error instanceof TemplateError) throw invalid('Template error', [{ ...error.problem, path: `content.${error.problem.path}` }]);
    throw error;
  }
}

async function insertVersion(ctx: AppContext, botId: number, name: string, content: TemplateContent, meta: { author: string; comment?: string; rolledBackFrom?: number }): Promise<StoredTemplate> {
  try {
    return await ctx.db.transaction(async (trx) => {
      const latest = await trx('message_templates').where({ bot_id: botId, name }).max({ version: 'version' }).first();
      const row: TemplateRow = {
        bot_id: botId,
        name,
        version: Number(latest?.version ?? 0) + 1,
        content: toJson(content),
        author: meta.author,
        comment: meta.comment ?? '',
        rolled_back_from: meta.rolledBackFrom ?? null,
        created_at: ctx.clock.now(),
      };
      await trx('message_templates').insert(row);
      return toStored(row);
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw conflict('The template was changed at the same time; fetch it and try again');
    throw error;
  }
}

export async function saveTemplate(ctx: AppContext, botId: number, name: string, content: TemplateContent, meta: { author: string; comment?: string }): Promise<StoredTemplate> {
  checkContent(content);
  return insertVersion(ctx, botId, name, content, meta);
}

/** The current version of every template of the bot, by name. */
export async function listTemplates(db: Knex, botId: number): Promise<TemplateVersion[]> {
  const latest = db('message_templates').where({ bot_id: botId }).groupBy('name').select('name').max({ version: 'version' });
  const rows = (await db('message_templates as t')
    .join(latest.as('l'), function joinLatest() {
      this.on('l.name', '=', 't.name').andOn('l.version', '=', 't.version');
    })
    .where('t.bot_id', botId)
    .orderBy('t.name')
    .select('t.*')) as TemplateRow[];
  return rows.map((row) => withoutContent(toStored(row)));
}

export async function listTemplateVersions(db: Knex, botId: number, name: string): Promise<TemplateVersion[]> {
  const rows = (await db('message_templates').where({ bot_id: botId, name }).orderBy('version', 'desc')) as TemplateRow[];
  return rows.map((row) => withoutContent(toStored(row)));
}

/** A version, or the current one; undefined when there is none. */
export async function findTemplate(db: Knex, botId: number, name: string, version?: number): Promise<StoredTemplate | undefined> {
  const query = db('message_templates').where({ bot_id: botId, name });
  const row = (version === undefined ? await query.orderBy('version', 'desc').first() : await query.where({ version }).first()) as TemplateRow | undefined;
  return row ? toStored(row) : undefined;
}

export async function requireTemplate(db: Knex, botId: number, name: string, version?: number): Promise<StoredTemplate> {
  const stored = await findTemplate(db, botId, name, version);
  if (!stored) throw notFound(version === undefined ? `There is no template "${name}"` : `Template "${name}" has no version ${version}`);
  return stored;
}

/** Rolling back writes the old content as a new version. */
export async function rollbackTemplate(ctx: AppContext, botId: number, name: string, toVersion: number, meta: { author: string; comment?: string }): Promise<StoredTemplate> {
  const target = await requireTemplate(ctx.db, botId, name, toVersion);
  return insertVersion(ctx, botId, name, target.content, { author: meta.author, comment: meta.comment || `Rollback to version ${toVersion}`, rolledBackFrom: toVersion });
}

export interface TemplateDiff {
  name: string;
  from: number;
  to: number;
  changes: Array<{ type: string; path: string; oldValue?: unknown; value?: unknown }>;
}

/** What changed between two versions, field by field (`text`, `variants.ru.text`, `buttons.0.1.text`). */
export async function diffTemplateVersions(db: Knex, botId: number, name: string, from: number, to: number): Promise<TemplateDiff> {
  const [a, b] = [await requireTemplate(db, botId, name, from), await requireTemplate(db, botId, name, to)];
  const changes = diff(a.content as Record<string, unknown>, b.content as Record<string, unknown>).map((change) => ({
    type: change.type.toLowerCase(),
    path: change.path.join('.'),
    ...('oldValue' in change ? { oldValue: change.oldValue } : {}),
    ...('value' in change ? { value: change.value } : {}),
  }));
  return { name, from, to, changes };
}
