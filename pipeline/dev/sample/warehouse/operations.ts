/**
 * Stock writes on the sample warehouse database, issued the way Odoo's stock module issues them:
 * quants are updated in place, a quant whose quantity reaches zero is deleted in the same
 * transaction (Odoo's `_unlink_zero_quants`), every move also updates the counterpart quant in a
 * non-internal location (negative in Partners/Vendors, positive in Partners/Customers), and
 * `write_date` is `now() AT TIME ZONE 'UTC'` (the transaction start, as Odoo's ORM writes it).
 *
 * Quantities are exact decimal strings (NUMERIC); every function runs ONE transaction and rolls it
 * back on error. A {@link QuantStateError} means the quant was missing or the guard refused the
 * change; nothing was written then.
 */
import type { Client } from 'pg';
import type { CommitStamp } from '../shared/commit.ts';
import { negateDecimal, normalizeDecimal } from '../shared/decimal.ts';

/** One quant row changed by an operation. */
export interface QuantChange {
  /** `stock_quant.id`. */
  quantId: number;
  productId: number;
  locationId: number;
  lotId: number | null;
  /** Signed change of `quantity`, normalised decimal string. */
  quantityDelta: string;
  /** Signed change of `reserved_quantity`, normalised decimal string. */
  reservedDelta: string;
  /** What happened to the row. */
  action: 'insert' | 'update' | 'delete';
}

/** Result of a warehouse operation. */
export interface WarehouseCommit extends CommitStamp {
  /** Quants written, in write order (a quant updated to zero then deleted appears once, as delete). */
  changes: QuantChange[];
}

/** Raised when an operation does not apply to the current quant state; the transaction was rolled back. */
export class QuantStateError extends Error {
  override name = 'QuantStateError';
}

/** A stock_quant row as read inside an operation. */
interface QuantRow {
  id: number;
  product_id: number;
  location_id: number;
  lot_id: number | null;
  quantity: string;
  reserved_quantity: string;
}

const NOW_UTC = "(now() AT TIME ZONE 'UTC')";

/** Runs `fn` in a transaction and stamps the commit; `txId` is the 32-bit xid Debezium reports. */
async function inTransaction(client: Client, fn: (changes: QuantChange[]) => Promise<void>): Promise<WarehouseCommit> {
  const changes: QuantChange[] = [];
  let txId: string;
  await client.query('BEGIN');
  try {
    await fn(changes);
    const xid = await client.query<{ xid: string }>('SELECT (txid_current() % 4294967296)::text AS xid');
    txId = xid.rows[0]?.xid as string;
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
  return { committedAtMs: Date.now(), committedAtHr: process.hrtime.bigint(), txId, changes };
}

async function lockQuant(client: Client, quantId: number): Promise<QuantRow> {
  const r = await client.query<QuantRow>(
    'SELECT id, product_id, location_id, lot_id, quantity::text AS quantity, reserved_quantity::text AS reserved_quantity FROM stock_quant WHERE id = $1 FOR UPDATE',
    [quantId],
  );
  const row = r.rows[0];
  if (!row) throw new QuantStateError(`stock_quant ${quantId} does not exist`);
  return row;
}

/**
 * Adds `quantity` to the first quant (lowest id) of (product, location, lot), inserting one when
 * none exists — Odoo's `_update_available_quantity`. `quantity` may be negative.
 */
async function addToQuant(
  client: Client,
  changes: QuantChange[],
  productId: number,
  locationId: number,
  lotId: number | null,
  quantity: string,
): Promise<void> {
  const upd = await client.query<{ id: number }>(
    `UPDATE stock_quant SET quantity = quantity + $4::numeric, write_date = ${NOW_UTC}
     WHERE id = (SELECT id FROM stock_quant WHERE product_id = $1 AND location_id = $2 AND lot_id IS NOT DISTINCT FROM $3
                 ORDER BY id LIMIT 1 FOR UPDATE)
     RETURNING id`,
    [productId, locationId, lotId, quantity],
  );
  let quantId = upd.rows[0]?.id;
  let action: QuantChange['action'] = 'update';
  if (quantId === undefined) {
    const ins = await client.query<{ id: number }>(
      `INSERT INTO stock_quant (product_id, location_id, lot_id, quantity, reserved_quantity, in_date, write_date)
       VALUES ($1, $2, $3, $4::numeric, 0, ${NOW_UTC}, ${NOW_UTC}) RETURNING id`,
      [productId, locationId, lotId, quantity],
    );
    quantId = ins.rows[0]?.id as number;
    action = 'insert';
  }
  changes.push({ quantId, productId, locationId, lotId, quantityDelta: normalizeDecimal(quantity), reservedDelta: '0', action });
}

/** Arguments of {@link receiveQuant}. */
export interface ReceiveArgs {
  productId: number;
  /** Internal location receiving the goods (`stock_location.id`). */
  locationId: number;
  /** Existing `stock_lot.id`, null for no lot, or `"new"` to create a lot named `LOT-{id, 6 digits}`. */
  lot: number | null | 'new';
  /** Positive decimal string, up to 3 decimals, e.g. `"12"` or `"2.125"`. */
  quantity: string;
  /** Supplier location the goods come from (Partners/Vendors), whose quant goes negative. */
  vendorLocationId: number;
}

/**
 * Receives goods: increases the (product, location, lot) quant or inserts a new one (a new lot
 * always gives a new quant), and decreases the vendor location's quant by the same amount.
 *
 * @returns commit stamp and changes (the internal quant first).
 */
export async function receiveQuant(client: Client, args: ReceiveArgs): Promise<WarehouseCommit> {
  if (!(Number(args.quantity) > 0)) throw new Error(`receiveQuant: quantity must be positive, got ${args.quantity}`);
  return inTransaction(client, async (changes) => {
    let lotId = args.lot === 'new' ? null : args.lot;
    if (args.lot === 'new') {
      const lot = await client.query<{ id: number }>(
        `WITH n AS (SELECT nextval(pg_get_serial_sequence('stock_lot', 'id'))::int AS id)
         INSERT INTO stock_lot (id, name, product_id) SELECT id, 'LOT-' || lpad(id::text, 6, '0'), $1 FROM n RETURNING id`,
        [args.productId],
      );
      lotId = lot.rows[0]?.id as number;
    }
    await addToQuant(client, changes, args.productId, args.locationId, lotId, args.quantity);
    await addToQuant(client, changes, args.productId, args.vendorLocationId, lotId, negateDecimal(args.quantity));
  });
}

/**
 * Reserves stock on a quant: `reserved_quantity += amount`, refused (QuantStateError) if that would
 * exceed `quantity`. `"all"` reserves everything still available.
 *
 * @param amount - positive decimal string, or `"all"`.
 */
export async function reserveQuant(client: Client, quantId: number, amount: string | 'all'): Promise<WarehouseCommit> {
  if (amount !== 'all' && !(Number(amount) > 0)) throw new Error(`reserveQuant: amount must be positive, got ${amount}`);
  const target = amount === 'all' ? 'q.quantity' : 'q.reserved_quantity + $3::numeric';
  return changeReservation(client, quantId, target, amount === 'all' ? [] : [amount]);
}

/**
 * Releases a reservation: `reserved_quantity -= amount`, refused (QuantStateError) if that would go
 * below zero. `"all"` releases the whole reservation.
 *
 * @param amount - positive decimal string, or `"all"`.
 */
export async function unreserveQuant(client: Client, quantId: number, amount: string | 'all'): Promise<WarehouseCommit> {
  if (amount !== 'all' && !(Number(amount) > 0)) throw new Error(`unreserveQuant: amount must be positive, got ${amount}`);
  const target = amount === 'all' ? '0' : 'q.reserved_quantity - $3::numeric';
  return changeReservation(client, quantId, target, amount === 'all' ? [] : [amount]);
}

/**
 * Sets reserved_quantity to `target` (SQL over alias q; `$3` is the amount) if 0 <= target <=
 * quantity and it changes. `$2` is the reservation read under lock, to return the exact delta.
 */
async function changeReservation(client: Client, quantId: number, target: string, params: string[]): Promise<WarehouseCommit> {
  return inTransaction(client, async (changes) => {
    const before = await lockQuant(client, quantId);
    const r = await client.query<{ delta: string }>(
      `UPDATE stock_quant q SET reserved_quantity = ${target}, write_date = ${NOW_UTC}
       WHERE q.id = $1 AND ${target} >= 0 AND ${target} <= q.quantity AND ${target} <> q.reserved_quantity
       RETURNING (q.reserved_quantity - $2::numeric)::text AS delta`,
      [quantId, before.reserved_quantity, ...params],
    );
    const after = r.rows[0];
    if (!after) {
      throw new QuantStateError(`stock_quant ${quantId}: reservation change refused (quantity ${before.quantity}, reserved ${before.reserved_quantity})`);
    }
    changes.push({ ...identity(before), quantityDelta: '0', reservedDelta: normalizeDecimal(after.delta), action: 'update' });
  });
}

/** Arguments of {@link deliverQuant}. */
export interface DeliverArgs {
  quantId: number;
  /** Positive decimal string not above the quant's quantity, or `"all"` to empty the quant. */
  quantity: string | 'all';
  /** Customer location the goods go to (Partners/Customers), whose quant grows. */
  customerLocationId: number;
}

/**
 * Delivers goods from a quant: `quantity -= q`, the reservation shrinks by q (never below 0 nor
 * above the new quantity); when the quant reaches zero it is UPDATEd to 0 and then DELETEd in the
 * same transaction, as Odoo does. The customer location's quant (same lot) grows by q.
 *
 * @returns changes: the source quant (action `delete` when emptied), then the customer quant.
 */
export async function deliverQuant(client: Client, args: DeliverArgs): Promise<WarehouseCommit> {
  return inTransaction(client, async (changes) => {
    const before = await lockQuant(client, args.quantId);
    const q = args.quantity === 'all' ? before.quantity : args.quantity;
    const r = await client.query<{ quantity: string; reserved_delta: string }>(
      `UPDATE stock_quant q SET quantity = q.quantity - $2::numeric,
              reserved_quantity = LEAST(GREATEST(q.reserved_quantity - $2::numeric, 0), q.quantity - $2::numeric),
              write_date = ${NOW_UTC}
       WHERE q.id = $1 AND $2::numeric > 0 AND $2::numeric <= q.quantity
       RETURNING q.quantity::text AS quantity, (q.reserved_quantity - $3::numeric)::text AS reserved_delta`,
      [args.quantId, q, before.reserved_quantity],
    );
    const after = r.rows[0];
    if (!after) throw new QuantStateError(`stock_quant ${args.quantId}: cannot deliver ${q} of ${before.quantity}`);
    let action: QuantChange['action'] = 'update';
    if (normalizeDecimal(after.quantity) === '0') {
      await client.query('DELETE FROM stock_quant WHERE id = $1 AND quantity = 0 AND reserved_quantity = 0', [args.quantId]);
      action = 'delete';
    }
    changes.push({ ...identity(before), quantityDelta: negateDecimal(q), reservedDelta: normalizeDecimal(after.reserved_delta), action });
    await addToQuant(client, changes, before.product_id, args.customerLocationId, before.lot_id, q);
  });
}

/**
 * Merges two quants of the same product and location: the kept quant absorbs the other's quantity
 * and reservation, the other is DELETEd, in one transaction. The sum per (product, location) is
 * unchanged. The kept quant keeps its own lot.
 *
 * @returns changes: the kept quant (update), then the dropped one (delete).
 */
export async function mergeQuants(client: Client, keepId: number, dropId: number): Promise<WarehouseCommit> {
  if (keepId === dropId) throw new Error('mergeQuants: cannot merge a quant with itself');
  return inTransaction(client, async (changes) => {
    // Lock in id order so that two merges of the same pair cannot deadlock.
    const [first, second] = [await lockQuant(client, Math.min(keepId, dropId)), await lockQuant(client, Math.max(keepId, dropId))];
    const keep = first.id === keepId ? first : second;
    const drop = first.id === keepId ? second : first;
    if (keep.product_id !== drop.product_id || keep.location_id !== drop.location_id) {
      throw new QuantStateError(`stock_quant ${keepId} and ${dropId} differ in product or location`);
    }
    await client.query(
      `UPDATE stock_quant SET quantity = quantity + $2::numeric, reserved_quantity = reserved_quantity + $3::numeric,
              write_date = ${NOW_UTC} WHERE id = $1`,
      [keepId, drop.quantity, drop.reserved_quantity],
    );
    await client.query('DELETE FROM stock_quant WHERE id = $1', [dropId]);
    changes.push({
      ...identity(keep),
      quantityDelta: normalizeDecimal(drop.quantity),
      reservedDelta: normalizeDecimal(drop.reserved_quantity),
      action: 'update',
    });
    changes.push({ ...identity(drop), quantityDelta: negateDecimal(drop.quantity), reservedDelta: negateDecimal(drop.reserved_quantity), action: 'delete' });
  });
}

function identity(row: QuantRow): Pick<QuantChange, 'quantId' | 'productId' | 'locationId' | 'lotId'> {
  return { quantId: row.id, productId: row.product_id, locationId: row.location_id, lotId: row.lot_id };
}
