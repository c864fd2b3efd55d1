/**
 * Decoded records as JSON text for people (the `stocksync decode` command), without losing
 * anything `JSON.stringify` would:
 *
 * | value                         | printed as                                  |
 * | ----------------------------- | ------------------------------------------- |
 * | bigint                        | a bare JSON number with every digit (`1795942368626691055`) |
 * | NaN, ±Infinity                | the strings `"NaN"`, `"Infinity"`, `"-Infinity"` |
 * | Buffer                        | `{"$base64": "…"}`                          |
 * | temporal values               | their ISO 8601 text (`"2026-03-29T02:30:00"`, `"…Z"` for an instant) |
 * | Unknown / Unchanged markers   | `{"$unknown": "zero-date"}` / `{"$unchanged": true}` |
 * | everything else               | as `JSON.stringify` prints it               |
 */
import { Unchanged, Unknown } from './markers.ts';
import { isTemporal } from './temporal.ts';

/**
 * Pretty-prints `value` as JSON (2-space indent).
 * @param value - anything the decoder returns (`DecodedRecord`, envelopes, rows).
 */
export function printJson(value: unknown, indent = ''): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return Number.isFinite(value) ? JSON.stringify(value) : JSON.stringify(String(value));
  if (typeof value === 'string' || typeof value === 'boolean') return JSON.stringify(value);
  if (Buffer.isBuffer(value)) return `{ "$base64": ${JSON.stringify(value.toString('base64'))} }`;
  if (isTemporal(value)) return JSON.stringify(value.toString());
  if (value instanceof Unknown || value instanceof Unchanged) return JSON.stringify(value.toJSON());
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((v) => `${inner}${printJson(v, inner)}`).join(',\n')}\n${indent}]`;
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return '{}';
    return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${printJson(v, inner)}`).join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(String(value));
}
