import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { mappingsDir } from '../normalize/index.ts';
import { checkSources } from '../sources/check.ts';

/** `stocksync sources check [FILE...]`. */
export function register(program: Command): void {
  program
    .command('sources')
    .description('source mapping files (schemas/sources/*.yaml)')
    .command('check')
    .description('validate mapping files: JSON Schema, the live source tables and columns, the connector config, and across files')
    .argument('[files...]', 'mapping files (default: every *.yaml in schemas/sources)')
    .option('--offline', 'skip the checks against the live source databases')
    .action(async (files: string[], options: { offline?: boolean }) => {
      const list =
        files.length > 0
          ? files.map((f) => path.resolve(f))
          : fs
              .readdirSync(mappingsDir)
              .filter((f) => f.endsWith('.yaml'))
              .sort()
              .map((f) => path.join(mappingsDir, f));
      const problems = await checkSources(list, options);
      for (const p of problems) {
        console.error(`${path.relative(process.cwd(), p.file)}:${p.line}:${p.column}: ${p.severity ?? 'error'}: ${p.message}`);
        if (p.hint) console.error(`  hint: ${p.hint}`);
      }
      // A warning (a connector user with more privileges than it needs) does not fail the check.
      const errors = problems.filter((p) => p.severity !== 'warning');
      if (errors.length > 0) {
        console.error(`${errors.length} problem${errors.length === 1 ? '' : 's'} in ${list.length} file${list.length === 1 ? '' : 's'}`);
        process.exitCode = 1;
      } else if (problems.length > 0) {
        console.log(`${list.length} mapping file${list.length === 1 ? '' : 's'} usable, with ${problems.length} warning${problems.length === 1 ? '' : 's'}`);
      } else {
        console.log(`${list.length} mapping file${list.length === 1 ? '' : 's'} OK: ${list.map((f) => path.relative(process.cwd(), f)).join(', ')}`);
      }
    });
}
