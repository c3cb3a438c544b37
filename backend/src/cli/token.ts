import type { Command } from 'commander';
import { invalid, notFound } from '../platform/errors';
import { botIdSchema } from '../bots/bots';
import { SCOPES } from '../bots/scopes';
import { createToken, describeRights, listTokens, revokeToken, type TokenInfo } from '../bots/tokens';
import { print, requireBot, withContext } from './command-context';

/** Lets an option be given several times, e.g. --scope call --scope events. */
const collect = (value: string, previous: string[] = []) => [...previous, value];

export function registerTokenCommands(program: Command): void {
  const token = program.command('token').description('Manage API tokens (shown once, stored as a hash)');
  addCreate(token);
  token
    .command('list')
    .option('--bot <botId>')
    .action((opts: { bot?: string }) =>
      withContext(async (ctx) => print((await listTokens(ctx, opts.bot ? botIdSchema.parse(opts.bot) : undefined)).map(withRights))),
    );
  token
    .command('revoke')
    .argument('<tokenId>')
    .action((tokenId: string) =>
      withContext(async (ctx) => {
        if (!(await revokeToken(ctx, tokenId))) throw notFound(`No active token ${tokenId}`);
        print({ revoked: tokenId });
      }),
    );
}

function addCreate(token: Command): void {
  token
    .command('create')
    .option('--bot <botId>', 'the bot this token is for (omit with --all-bots)')
    .option('--all-bots', 'a token for every bot (administration)')
    .option('--alias <glob>', 'alias glob this token may call, e.g. payments/* (repeatable)', collect)
    .option('--scope <scope>', `scope (repeatable): ${SCOPES.join(', ')}; default: call with --alias, else all`, collect)
    .option('--name <name>', 'a label for the token', '')
    .action((opts: { bot?: string; allBots?: boolean; alias?: string[]; scope?: string[]; name: string }) =>
      withContext(async (ctx) => {
        if (!opts.bot === !opts.allBots) throw invalid('Give exactly one of --bot <id> or --all-bots');
        const botId = opts.bot ? (await requireBot(ctx, opts.bot)).id : null;
        const created = await createToken(ctx, { botId, name: opts.name, aliases: opts.alias, scopes: opts.scope as never });
        print({ token: created.token, ...withRights(created.info), note: 'Store this token now: it is not shown again.' });
      }),
    );
}

/** The scopes and aliases once more as a sentence: a default scope set should not go unnoticed. */
function withRights(info: TokenInfo): TokenInfo & { rights: string } {
  return { ...info, rights: describeRights(info) };
}
