/**
 * YAML configuration files validated by a JSON Schema, with every problem placed at
 * file:line:column: the shared machinery of the source mapping files and the channel rules.
 */
import fs from 'node:fs';
import { Ajv, type ErrorObject } from 'ajv';
import { LineCounter, parseDocument, isMap, isNode, isScalar, type Document } from 'yaml';

/** One problem in a configuration file, with its place (1-based) and, where clear, a fix. */
export interface FileProblem {
  file: string;
  line: number;
  column: number;
  message: string;
  hint?: string;
  /** `warning`: reported, but the file is usable (the CLI still exits 0); an error otherwise. */
  severity?: 'warning';
}

/** Thrown with every problem found; `message` lists them as file:line:col lines. */
export class FileProblemsError extends Error {
  constructor(readonly problems: FileProblem[]) {
    super(problems.map((p) => `${p.file}:${p.line}:${p.column}: ${p.message}`).join('\n'));
  }
}

/** A parsed YAML file and a way to place paths in it. */
export interface ParsedYaml {
  file: string;
  /** The document as plain data (anchors and aliases resolved). */
  data: unknown;
  /**
   * Line and column of the node at `path` (or its nearest existing parent); with `atKey`, of the
   * last segment's key rather than its value (for "unknown key" errors).
   */
  locate(path: Array<string | number>, atKey?: boolean): { line: number; column: number };
}

function positionOf(doc: Document, counter: LineCounter, at: Array<string | number>, atKey: boolean): { line: number; column: number } {
  if (atKey && at.length > 0) {
    const parent = at.length === 1 ? doc.contents : doc.getIn(at.slice(0, -1), true);
    if (isMap(parent)) {
      const pair = parent.items.find((item) => isScalar(item.key) && item.key.value === at[at.length - 1]);
      if (pair && isNode(pair.key) && pair.key.range) {
        const pos = counter.linePos(pair.key.range[0]);
        return { line: pos.line, column: pos.col };
      }
    }
  }
  for (let n = at.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(at.slice(0, n), true);
    if (isNode(node) && node.range) {
      const pos = counter.linePos(node.range[0]);
      return { line: pos.line, column: pos.col };
    }
  }
  return { line: 1, column: 1 };
}

/** Parses a YAML file. @throws FileProblemsError for YAML syntax errors, placed. */
export function parseYamlFile(file: string): ParsedYaml {
  const counter = new LineCounter();
  const doc = parseDocument(fs.readFileSync(file, 'utf8'), { lineCounter: counter, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new FileProblemsError(
      doc.errors.map((e) => {
        const pos = counter.linePos(e.pos[0]);
        return { file, line: pos.line, column: pos.col, message: `YAML syntax: ${e.message.split('\n')[0]}` };
      }),
    );
  }
  return { file, data: doc.toJS() as unknown, locate: (path, atKey = false) => positionOf(doc, counter, path, atKey) };
}

/**
 * A validator for a JSON Schema (draft-07, all errors), compiled on first use. It fills in the
 * schema's `default`s: a missing property that has one is set on `data` (in place), so the
 * schema is the one place a configuration default is stated.
 * @returns the errors; none when `data` is valid (and then complete with its defaults).
 */
export function schemaValidator(schema: object): (data: unknown) => ErrorObject[] {
  let validate: ReturnType<Ajv['compile']> | undefined;
  return (data) => {
    validate ??= new Ajv({ allErrors: true, strict: false, useDefaults: true }).compile(schema);
    return validate(data) ? [] : (validate.errors ?? []);
  };
}

/** The path segments of an ajv error, plus the offending key for unknown-key errors. */
export function errorPath(error: ErrorObject): { path: string[]; atKey: boolean } {
  const path = error.instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (error.keyword === 'additionalProperties') return { path: [...path, String(error.params.additionalProperty)], atKey: true };
  if (error.keyword === 'propertyNames') return { path: [...path, String(error.params.propertyName)], atKey: true };
  return { path, atKey: false };
}

/** A readable message for the common JSON Schema errors; `schemaName` names where allowed keys are. */
export function describeSchemaError(error: ErrorObject, schemaName: string): string {
  const where = error.instancePath || '(top level)';
  switch (error.keyword) {
    case 'additionalProperties':
      return `${where}: unknown key "${String(error.params.additionalProperty)}" (check the spelling; allowed keys are in ${schemaName})`;
    case 'required':
      return `${where}: missing required key "${String(error.params.missingProperty)}"`;
    case 'enum':
      return `${where}: must be one of ${(error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return `${where}: ${error.message ?? 'invalid'}`;
  }
}
