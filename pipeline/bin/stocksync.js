#!/usr/bin/env node
// Entry point for `npx stocksync`: runs the TypeScript CLI through tsx, so no build step is needed.
// The product's commands and the development harness's (stack, sample, demo) share one program.
import { register } from 'tsx/esm/api';

register();
const { productCommands, runCli } = await import('../src/cli/index.ts');
const { harnessCommands } = await import('../dev/cli/index.ts');
await runCli([...harnessCommands, ...productCommands]);
