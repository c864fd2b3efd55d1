/**
 * A strict JSON parser (RFC 8259) that keeps every number as its source text.
 *
 * `JSON.parse` turns every number into a float64, so an int64 beyond 2^53 (Debezium's `ts_ns`,
 * a PostgreSQL LSN, a BIGINT column) silently loses digits, and Node 20 has no reviver
 * `context.source` to recover them. Here numbers come back as {@link JsonNumber}; the value
 * converter turns each into `number`, `bigint` or an exact decimal string according to its schema.
 * Objects are plain objects with own properties only (`__proto__` is an ordinary key).
 */
import { DecodeError } from './errors.ts';

/** A JSON number, kept as its literal text (e.g. `"1795942368626691055"`, `"-0.5"`, `"1e3"`). */
export class JsonNumber {
  constructor(readonly text: string) {}
  /** True when the literal has no fraction and no exponent. */
  get isInteger(): boolean {
    return !/[.eE]/.test(this.text);
  }
  toString(): string {
    return this.text;
  }
}

/** A parsed JSON value. */
export type JsonValue = null | boolean | string | JsonNumber | JsonValue[] | { [k: string]: JsonValue };

/**
 * Parses JSON text.
 * @throws DecodeError `invalid-json` naming the offset of the first error.
 */
export function parseJsonLossless(text: string): JsonValue {
  const parser = new Parser(text);
  parser.skipWhitespace();
  const value = parser.value(0);
  parser.skipWhitespace();
  if (parser.pos !== text.length) parser.fail('unexpected data after the JSON value');
  return value;
}

const MAX_DEPTH = 1000;
const NUMBER_RE = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

class Parser {
  pos = 0;
  constructor(private readonly text: string) {}

  fail(message: string): never {
    throw new DecodeError('invalid-json', `invalid JSON at offset ${this.pos}: ${message}`);
  }

  skipWhitespace(): void {
    const t = this.text;
    let c = t.charCodeAt(this.pos);
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = t.charCodeAt(++this.pos);
  }

  value(depth: number): JsonValue {
    if (depth > MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH}`);
    const c = this.text[this.pos];
    switch (c) {
      case '{':
        return this.object(depth);
      case '[':
        return this.array(depth);
      case '"':
        return this.string();
      case 't':
        return this.literal('true', true);
      case 'f':
        return this.literal('false', false);
      case 'n':
        return this.literal('null', null);
      default:
        if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number();
        return this.fail(c === undefined ? 'unexpected end of input' : `unexpected character ${JSON.stringify(c)}`);
    }
  }

  literal<T>(word: string, result: T): T {
    if (!this.text.startsWith(word, this.pos)) this.fail(`expected ${word}`);
    this.pos += word.length;
    return result;
  }

  number(): JsonNumber {
    NUMBER_RE.lastIndex = this.pos;
    const m = NUMBER_RE.exec(this.text);
    if (!m) this.fail('malformed number');
    this.pos += m[0].length;
    return new JsonNumber(m[0]);
  }

  string(): string {
    const t = this.text;
    let pos = this.pos + 1; // after the opening quote
    let out = '';
    let chunkStart = pos;
    for (;;) {
      const c = t.charCodeAt(pos);
      if (c === 0x22) break; // closing quote
      if (Number.isNaN(c)) {
        this.pos = pos;
        this.fail('unterminated string');
      }
      if (c < 0x20) {
        this.pos = pos;
        this.fail('control character in string');
      }
      if (c === 0x5c) {
        out += t.slice(chunkStart, pos);
        const e = t[pos + 1];
        if (e === 'u') {
          const hex = t.slice(pos + 2, pos + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
            this.pos = pos;
            this.fail('bad \\u escape');
          }
          out += String.fromCharCode(parseInt(hex, 16));
          pos += 6;
        } else {
          const decoded = e === undefined ? undefined : ESCAPES[e];
          if (decoded === undefined) {
            this.pos = pos;
            this.fail('bad escape');
          }
          out += decoded;
          pos += 2;
        }
        chunkStart = pos;
        continue;
      }
      pos++;
    }
    out += t.slice(chunkStart, pos);
    this.pos = pos + 1;
    return out;
  }

  array(depth: number): JsonValue[] {
    this.pos++; // [
    const result: JsonValue[] = [];
    this.skipWhitespace();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return result;
    }
    for (;;) {
      this.skipWhitespace();
      result.push(this.value(depth + 1));
      this.skipWhitespace();
      const c = this.text[this.pos++];
      if (c === ']') return result;
      if (c !== ',') {
        this.pos--;
        this.fail("expected ',' or ']'");
      }
    }
  }

  object(depth: number): { [k: string]: JsonValue } {
    this.pos++; // {
    const result: { [k: string]: JsonValue } = {};
    this.skipWhitespace();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return result;
    }
    for (;;) {
      this.skipWhitespace();
      if (this.text[this.pos] !== '"') this.fail('expected a string key');
      const key = this.string();
      this.skipWhitespace();
      if (this.text[this.pos] !== ':') this.fail("expected ':'");
      this.pos++;
      this.skipWhitespace();
      setOwn(result, key, this.value(depth + 1));
      this.skipWhitespace();
      const c = this.text[this.pos++];
      if (c === '}') return result;
      if (c !== ',') {
        this.pos--;
        this.fail("expected ',' or '}'");
      }
    }
  }
}

/** Sets an own, enumerable property, `__proto__` included (plain assignment would set the prototype). */
export function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}
