/**
 * The shipped JSON Schema files, written from their TypeScript definitions (the one copy):
 *
 *     npx tsx pipeline/dev/schemas/json-schemas.ts
 *
 * The files are for editors (`# yaml-language-server: $schema=…` in the YAML files) and readers; the
 * loaders validate with the TypeScript objects. A unit test (pipeline/test/dev/schemas) checks that
 * the shipped files are current.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { projectRoot } from '../../src/config/project-root.ts';
import { channelsDir } from '../../src/channels/index.ts';
import { channelsSchema } from '../../src/channels/index.ts';
import { mappingsDir } from '../../src/normalize/index.ts';
import { mappingSchema } from '../../src/normalize/index.ts';

/** Each shipped JSON Schema file (absolute path) and the text it must hold. */
export function jsonSchemaFiles(): Array<{ file: string; text: string }> {
  return [
    { file: path.join(mappingsDir, 'mapping.schema.json'), text: `${JSON.stringify(mappingSchema, null, 2)}\n` },
    { file: path.join(channelsDir, 'channels.schema.json'), text: `${JSON.stringify(channelsSchema, null, 2)}\n` },
  ];
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  for (const { file, text } of jsonSchemaFiles()) {
    fs.writeFileSync(file, text);
    console.log(`wrote ${path.relative(projectRoot, file)}`);
  }
}
