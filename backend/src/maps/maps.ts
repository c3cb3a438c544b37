import diff from 'microdiff';
import type { AppContext } from '../platform/context';
import { conflict, invalid, notFound } from '../platform/errors';
import { fromJson, isUniqueViolation, toJson } from '../platform/db/database';
import { type MapDocument, type MapEndpoint, validateMapDocument } from './map-document';
import { compileParamsValidator, type ParamsValidator } from './params-schema';

/** Who wrote a version: a console user, an API token (by name) or the CLI; `ref` is the user's or token's id. */
export interface MapAuthor {
  author: string;
  authorKind?: 'console' | 'token' | 'cli';
  authorRef?: string;
}

export interface MapVersion {
  version: number;
  author: string;
  authorKind: 'console' | 'token' | 'cli' | null;
  authorRef: string | null;
  comment: string;
  rolledBackFrom: number | null;
  createdAt: number;
  endpointCount: number;
}

export interface StoredMap extends MapVersion {
  document: MapDocument;
}

interface MapRow {
  bot_id: number;
  version: number;
  document: string;
  author: string;
  author_kind: MapVersion['authorKind'];
  author_ref: string | null;
  comment: string;
  rolled_back_from: number | null;
  created_at: number;
}

function toStored(row: MapRow): StoredMap {
  const document = fromJson<MapDocument>(row.document);
  return {
    version: row.version,
    author: row.author,
    authorKind: row.author_kind ?? null,
    authorRef: row.author_ref ?? null,
    comment: row.comment,
    rolledBackFrom: row.rolled_back_from,
    createdAt: row.created_at,
    endpointCount: document.endpoints.length,
    document,
  };
}

async function insertVersion(
  ctx: AppContext,
  botId: number,
  document: MapDocument,
  meta: MapAuthor & { comment?: string; rolledBackFrom?: number },
): Promise<StoredMap> {
  try {
    return await ctx.db.transaction(async (trx) => {
      const latest = await trx('communication_maps').where({ bot_id: botId }).max({ version: 'version' }).first();
      const row: MapRow = {
        bot_id: botId,
        version: Number(latest?.version ?? 0) + 1,
        document: toJson(document),
        author: meta.author,
        author_kind: meta.authorKind ?? null,
        author_ref: meta.authorRef ?? null,
        comment: meta.comment ?? '',
        rolled_back_from: meta.rolledBackFrom ?? null,
        created_at: ctx.clock.now(),
      };
      await trx('communication_maps').insert(row);
      return toStored(row);
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw conflict('The map was changed at the same time; fetch it and try again');
    throw error;
  }
}

/** Imports a new version; a bad map is refused with every error listed. */
export async function importMap(
  ctx: AppContext,
  botId: number,
  input: unknown,
  meta: MapAuthor & { comment?: string },
): Promise<StoredMap> {
  const { map, errors } = validateMapDocument(input);
  if (!map) throw invalid('Invalid communication map', errors);
  return insertVersion(ctx, botId, map, meta);
}

export async function listMapVersions(ctx: AppContext, botId: number): Promise<MapVersion[]> {
  const rows = await ctx.db<MapRow>('communication_maps').where({ bot_id: botId }).orderBy('version', 'desc');
  return rows.map((row) => {
    const { document: _document, ...version } = toStored(row);
    return version;
  });
}

export async function getMapVersion(ctx: AppContext, botId: number, version?: number): Promise<StoredMap | undefined> {
  const query = ctx.db<MapRow>('communication_maps').where({ bot_id: botId });
  const row = version === undefined ? await query.orderBy('version', 'desc').first() : await query.where({ version }).first();
  return row ? toStored(row) : undefined;
}

async function requireVersion(ctx: AppContext, botId: number, version: number): Promise<StoredMap> {
  const stored = await getMapVersion(ctx, botId, version);
  if (!stored) throw notFound(`Map version ${version} does not exist`);
  return stored;
}

/** Rolling back writes the old document as a new version, so history is never rewritten. */
export async function rollbackMap(
  ctx: AppContext,
  botId: number,
  toVersion: number,
  meta: MapAuthor & { comment?: string },
): Promise<StoredMap> {
  const target = await requireVersion(ctx, botId, toVersion);
  return insertVersion(ctx, botId, target.document, {
    ...meta,
    comment: meta.comment || `Rollback to version ${toVersion}`,
    rolledBackFrom: toVersion,
  });
}

export interface MapDiff {
  from: number;
  to: number;
  added: string[];
  removed: string[];
  changed: Array<{ alias: string; changes: Array<{ type: string; path: string; oldValue?: unknown; value?: unknown }> }>;
  header: Array<{ type: string; path: string; oldValue?: unknown; value?: unknown }>;
}

function describeChanges(a: object, b: object): MapDiff['header'] {
  return diff(a as Record<string, unknown>, b as Record<string, unknown>).map((change) => ({
    type: change.type.toLowerCase(),
    path: change.path.join('.'),
    ...('oldValue' in change ? { oldValue: change.oldValue } : {}),
    ...('value' in change ? { value: change.value } : {}),
  }));
}

/** An endpoint-by-endpoint diff: which aliases were added, removed or changed, and how. */
export async function diffMapVersions(ctx: AppContext, botId: number, from: number, to: number): Promise<MapDiff> {
  const [a, b] = [await requireVersion(ctx, botId, from), await requireVersion(ctx, botId, to)];
  const before = new Map(a.document.endpoints.map((e) => [e.alias, e]));
  const after = new Map(b.document.endpoints.map((e) => [e.alias, e]));
  const { endpoints: _a, ...headerA } = a.document;
  const { endpoints: _b, ...headerB } = b.document;
  return {
    from,
    to,
    added: [...after.keys()].filter((alias) => !before.has(alias)),
    removed: [...before.keys()].filter((alias) => !after.has(alias)),
    changed: [...after.entries()]
      .filter(([alias]) => before.has(alias))
      .map(([alias, endpoint]) => ({ alias, changes: describeChanges(before.get(alias)!, endpoint) }))
      .filter((entry) => entry.changes.length > 0),
    header: describeChanges(headerA, headerB),
  };
}

export interface ResolvedEndpoint {
  endpoint: MapEndpoint;
  mapVersion: number;
  params: ParamsValidator;
}

/**
 * Compiled validators of map versions, per runtime. Map versions never change once written, so a
 * version is compiled once, however many requests ask for it at the same moment (the first burst
 * after a start or an import would otherwise compile it once per connection, milliseconds each);
 * the hot path reads only the current version number. The oldest versions are dropped past
 * `limit` (a bot's older versions are not called any more); a failed compilation is not kept.
 */
export class CompiledMaps {
  private readonly byVersion = new Map<string, Promise<Map<string, ResolvedEndpoint>>>();

  constructor(private readonly limit = 1000) {}

  compiled(key: string, compile: () => Promise<Map<string, ResolvedEndpoint>>): Promise<Map<string, ResolvedEndpoint>> {
    const known = this.byVersion.get(key);
    if (known) return known;
    if (this.byVersion.size >= this.limit) this.byVersion.delete(this.byVersion.keys().next().value!);
    const compiling = compile();
    this.byVersion.set(key, compiling);
    compiling.catch(() => {
      if (this.byVersion.get(key) === compiling) this.byVersion.delete(key);
    });
    return compiling;
  }
}

/** What resolving an alias needs beyond the platform: the runtime's compiled maps. */
export interface MapsContext extends AppContext {
  compiledMaps: CompiledMaps;
}

function compileMap(stored: StoredMap): Map<string, ResolvedEndpoint> {
  return new Map(
    stored.document.endpoints.map((endpoint) => [
      endpoint.alias,
      { endpoint, mapVersion: stored.version, params: compileParamsValidator(endpoint.params) },
    ]),
  );
}

/** The endpoint an alias names in the bot's current map, with its compiled params validator. */
export async function resolveEndpoint(ctx: MapsContext, botId: number, alias: string): Promise<ResolvedEndpoint | undefined> {
  const latest = await ctx.reads.cachedRow<Pick<MapRow, 'version' | 'created_at'>>(
    'communication_maps',
    'select version, created_at from communication_maps where bot_id = ? order by version desc limit 1',
    [botId],
  );
  if (!latest) return undefined;
  const key = `${botId}:${latest.version}:${latest.created_at}`;
  const compiled = await ctx.compiledMaps.compiled(key, async () => compileMap((await getMapVersion(ctx, botId, latest.version))!));
  return compiled.get(alias);
}
