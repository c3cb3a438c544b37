import fs from 'node:fs';
import type { Command } from 'commander';
import { z } from 'zod';
import { templateContentSchema, templateNameSchema } from '../delivery/content-schema';
import { diffTemplateVersions, listTemplates, listTemplateVersions, requireTemplate, rollbackTemplate, saveTemplate } from '../delivery/template-library';
import { print, requireBot, withContext } from './command-context';

const versionSchema = z.coerce.number().int().positive();

export function registerTemplateCommands(program: Command): void {
  const template = program.command('template').description('The template library: named, versioned message texts a send refers to');
  template
    .command('list')
    .requiredOption('--bot <botId>')
    .action((opts: { bot: string }) => withContext(async (ctx) => print(await listTemplates(ctx.db, (await requireBot(ctx, opts.bot)).id))));
  addSave(template);
  addShow(template);
  template
    .command('versions')
    .requiredOption('--bot <botId>')
    .requiredOption('--name <name>')
    .action((opts: { bot: string; name: string }) => withContext(async (ctx) => print(await listTemplateVersions(ctx.db, (await requireBot(ctx, opts.bot)).id, templateNameSchema.parse(opts.name)))));
  addDiff(template);
  addRollback(template);
}

function addSave(template: Command): void {
  template
    .command('save')
    .requiredOption('--bot <botId>')
    .requiredOption('--name <name>')
    .requiredOption('--file <path>', 'a JSON file: {text, parseMode?, buttons?, variants?}')
    .option('--author <name>', 'who made this version', process.env.USER ?? 'cli')
    .option('--comment <text>', 'what changed', '')
    .action((opts: { bot: string; name: string; file: string; author: string; comment: string }) =>
      withContext(async (ctx) => {
        const bot = await requireBot(ctx, opts.bot);
        const content = templateContentSchema.parse(JSON.parse(fs.readFileSync(opts.file, 'utf8')));
        const stored = await saveTemplate(ctx, bot.id, templateNameSchema.parse(opts.name), content, { author: opts.author, comment: opts.comment });
        print({ name: stored.name, version: stored.version });
      }),
    );
}

function addShow(template: Command): void {
  template
    .command('show')
    .requiredOption('--bot <botId>')
    .requiredOption('--name <name>')
    .option('--version <n>', 'a version (default: current)')
    .action((opts: { bot: string; name: string; version?: string }) =>
      withContext(async (ctx) => {
        const bot = await requireBot(ctx, opts.bot);
        print(await requireTemplate(ctx.db, bot.id, templateNameSchema.parse(opts.name), opts.version ? versionSchema.parse(opts.version) : undefined));
      }),
    );
}

function addDiff(template: Command): void {
  template
    .command('diff')
    .requiredOption('--bot <botId>')
    .requiredOption('--name <name>')
    .requiredOption('--from <n>')
    .requiredOption('--to <n>')
    .action((opts: { bot: string; name: string; from: string; to: string }) =>
      withContext(async (ctx) => {
        const bot = await requireBot(ctx, opts.bot);
        print(await diffTemplateVersions(ctx.db, bot.id, templateNameSchema.parse(opts.name), versionSchema.parse(opts.from), versionSchema.parse(opts.to)));
      }),
    );
}

function addRollback(template: Command): void {
  template
    .command('rollback')
    .requiredOption('--bot <botId>')
    .requiredOption('--name <name>')
    .requiredOption('--version <n>')
    .option('--author <name>', 'who rolled back', process.env.USER ?? 'cli')
    .action((opts: { bot: string; name: string; version: string; author: string }) =>
      withContext(async (ctx) => {
        const bot = await requireBot(ctx, opts.bot);
        const stored = await rollbackTemplate(ctx, bot.id, templateNameSchema.parse(opts.name), versionSchema.parse(opts.version), { author: opts.author });
        print({ name: stored.name, version: stored.version, rolledBackFrom: stored.rolledBackFrom });
      }),
    );
}
