import crypto from 'node:crypto';
import fs from 'node:fs';
import type { Command } from 'commander';
import { botIdSchema } from '../bots/bots';
import { ROLES } from '../console/roles';
import { createConsoleUser, disableConsoleUser, listConsoleUsers } from '../console/users';
import { print, requireBot, withContext } from './command-context';

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function registerConsoleUserCommands(program: Command): void {
  const group = program.command('console-user').description('Console accounts: who may log in at /console, with which role and bots');
  addCreate(group);
  group.command('list').action(() => withContext(async (ctx) => print(await listConsoleUsers(ctx))));
  group
    .command('disable')
    .argument('<email>')
    .description('Refuse further logins and end every session of the account')
    .action((email: string) => withContext(async (ctx) => print(await disableConsoleUser(ctx, email))));
}

function addCreate(group: Command): void {
  group
    .command('create')
    .requiredOption('--email <email>', 'the login')
    .requiredOption('--role <role>', ROLES.join(' | '))
    .option('--bot <botId>', 'a bot the account may see (repeatable; default: every bot)', collect)
    .option('--password-stdin', 'read the password from standard input (default: a generated one, printed once)')
    .action((opts: { email: string; role: string; bot?: string[]; passwordStdin?: boolean }) =>
      withContext(async (ctx) => {
        const botIds = [];
        for (const bot of opts.bot ?? []) botIds.push((await requireBot(ctx, String(botIdSchema.parse(bot)))).id);
        const generated = opts.passwordStdin ? undefined : crypto.randomBytes(15).toString('base64url');
        const password = generated ?? fs.readFileSync(0, 'utf8').replace(/\r?\n$/, '');
        const user = await createConsoleUser(ctx, { email: opts.email, password, role: opts.role as never, botIds });
        print({ ...user, ...(generated ? { password: generated, note: 'Store this password now: it is not shown again.' } : {}), loginUrl: `${ctx.config.publicUrl}/console` });
      }),
    );
}
