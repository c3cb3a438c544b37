import { Command, CommanderError } from 'commander';
import { z } from 'zod';
import { DomainError } from '../platform/errors';
import { ConfigError } from '../platform/config/config';
import { registerBotCommands } from './bot';
import { registerConsoleUserCommands } from './console-user';
import { registerMapCommands } from './map';
import { registerServeCommands, type StartServer } from './serve';
import { registerTemplateCommands } from './template';
import { registerTokenCommands } from './token';

export function buildCli(startServer: StartServer): Command {
  // exitOverride comes first: the group commands inherit it when they are created.
  const program = new Command('metabot-backend').description('Metabot companion backend for n8n').exitOverride();
  registerServeCommands(program, startServer);
  registerBotCommands(program);
  registerTokenCommands(program);
  registerMapCommands(program);
  registerTemplateCommands(program);
  registerConsoleUserCommands(program);
  return program;
}

/** Turns any failure into one line on stderr and a non-zero exit; never a stack trace. */
function explain(error: unknown): string {
  if (error instanceof ConfigError) return error.message;
  if (error instanceof DomainError) {
    const details = error.errors.map((e) => `\n  - ${e.path}: ${e.message}`).join('');
    return `${error.message}${details}`;
  }
  if (error instanceof z.ZodError) return `Invalid input:${error.issues.map((i) => `\n  - ${i.path.join('.') || 'value'}: ${i.message}`).join('')}`;
  if (error instanceof SyntaxError) return `Invalid JSON: ${error.message}`;
  return (error as Error)?.message ?? String(error);
}

export async function runCli(argv: string[], startServer: StartServer): Promise<void> {
  try {
    await buildCli(startServer).parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode;
      return;
    }
    process.stderr.write(`error: ${explain(error)}\n`);
    process.exitCode = 1;
  }
}

