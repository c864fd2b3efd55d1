/**
 * What a SKU can look like on the wire: 1 to 191 characters (the longest SKU a channel table
 * holds: the web shop's `VARCHAR(191)`, docs/channels.md), none of them a control character (C0,
 * DEL, C1). A path parameter or batch entry outside this is answered 400 `invalid-sku` before
 * anything reaches Redis or SQL (and SQL takes it only as a bound parameter anyway).
 */

/** Longest SKU, in characters. */
export const MAX_SKU_LENGTH = 191;

/** The JSON Schema `pattern` of a SKU (ECMAScript regular expression, as ajv uses it). */
export const SKU_PATTERN = `^[^\\u0000-\\u001F\\u007F-\\u009F]{1,${MAX_SKU_LENGTH}}$`;

/** Channel names as channels.schema.json allows them: lower case letters, digits and `_`, starting with a letter, at most 40. */
export const CHANNEL_PATTERN = '^[a-z][a-z0-9_]{0,39}$';

/** A Redis stream id as `Last-Event-ID` carries it: `<ms>-<seq>`. */
export const STREAM_ID_PATTERN = '^[0-9]{1,20}-[0-9]{1,20}$';
