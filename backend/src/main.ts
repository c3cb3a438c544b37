#!/usr/bin/env -S node --max-semi-space-size=4
import { runCli } from './cli/main';
import { startServer } from './server';

// The `metabot-backend` binary: the command groups of cli/, with the composition root's server for `serve`.
void runCli(process.argv, startServer);
