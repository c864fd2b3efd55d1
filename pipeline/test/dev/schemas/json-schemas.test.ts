/**
 * The shipped JSON Schema files equal their TypeScript definitions (the loaders validate with
 * those), and the defaults the loaders rely on are filled in. Pure unit test (no stack).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { jsonSchemaFiles } from '../../../dev/schemas/json-schemas.ts';
import { projectRoot } from '../../../src/config/project-root.ts';

describe('shipped JSON Schemas', () => {
  for (const { file, text } of jsonSchemaFiles()) {
    it(`${path.relative(projectRoot, file)} is written from its TypeScript definition (npx tsx pipeline/dev/schemas/json-schemas.ts)`, () => {
      expect(fs.readFileSync(file, 'utf8')).toBe(text);
    });
  }
});
