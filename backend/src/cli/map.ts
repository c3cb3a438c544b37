import fs from 'node:fs';
import type { Command } from 'commander';
import { z } from 'zod';
import { notFound } from '../platform/errors';
import { diffMapVersions, getMapVersion, importMap, listMapVersions, rollbackMap } from '../maps/maps';
import { print, requireBot, withContext } from './command-context';

const versionSchema = z.coerce.number().int().positive();

export function registerMapCommands(program: Command): void {
  const map = program.command('map').description('Communication maps: versioned JSON documents of integration endpoints');
  addImport(map);
  addExport(map);
  map
    .command('versions')
    .requiredOption('--bot <botId>')
    .action((opts: { bot: string }) => withContext(async (ctx) => print(await listMapVersions(ctx, (await requireBot(ctx, opts.bot)).id))));
  addDiff(map);
  addRollback(map);
}

function addImport(map: Command): void {
  map
    .command('import')
    .requiredOption('--bot <botId>')
    .requiredOption('--file <path>', 'a map JSON file')
    .option('--author <name>', 'who made this version', process.env.USER ?? 'cli')
    .option('--comment <text>', 'what changed', '')
    .action((opts: { bot: string; file: string; author: string; comment: string }) =>
      withContext(async (ctx) => {
        const bot = await requireBot(ctx, opts.bot);
        const document: unknown = JSON.parse(fs.readFileSync(opts.file, 'utf8'));
        const stored = await importMap(ctx, bot.id, document, { author: opts.author, authorKind: 'cli', comment: opts.comment });
        print({ version: stored.version, endpoints: stored.endpointCount });
      }),
    );
}

function addExport(map: Command): void {
  map
    .command('export')
    .requiredOption('--bot <botId>')
    .option('--version <n>', 'a version (default: current)')
    .action((opts: { bot: string; version?: string }) =>
      withContext(async (ctx) => {
        const bot = await requireBot(ctx, opts.bot);
        const stored = await getMapVersion(ctx, bot.id, opts.version ? versionSchema.parse(opts.version) : undefined);
        if (!stored) throw notFound('No such map version');
        print(stored.document);
      }),
    );
}

function addDiff(map: Command): void {
  map
    .command('diff')
    .requiredOption('--bot <botId>')
    .requiredOption('--from <n>')
    .requiredOption('--to <n>')
    .action((opts: { bot: string; from: string; to: string }) =>
      withContext(async (ctx) => {
        const bot = await requireBot(ctx, opts.bot);
        print(await diffMapVersions(ctx, bot.id, versionSchema.parse(opts.from), versionSchema.parse(opts.to)));
      }),
    );
}

function addRollback(map: Command): void {
  map
    .command('rollback')
    .requiredOption('--bot <botId>')
    .requiredOption('--version <n>')
    .option('--author <name>', 'who rolled back', process.env.USER ?? 'cli')
    .action((opts: { bot: string; version: string; author: string }) =>
      withContext(async (ctx) => {
        const bot = await requireBot(ctx, opts.bot);
        const stored = await rollbackMap(ctx, bot.id, versionSchema.parse(opts.version), { author: opts.author, authorKind: 'cli' });
        print({ version: stored.version, rolledBackFrom: stored.rolledBackFrom });
      }),
    );
}
