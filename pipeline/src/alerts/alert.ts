/** The alert event: the `StockAlert` Avro record of `schemas/avro/stock_alert.avsc`. */
import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../config/project-root.ts';

export type AlertKind = 'low_stock' | 'low_stock_cleared' | 'anomaly' | 'stockout_risk' | 'stockout_risk_cleared';

export interface StockAlert {
  id: string;
  kind: AlertKind;
  sku: string;
  location: string | null;
  channel: string | null;
  /** low stock: available to sell; anomaly: the change of on hand; stockout risk: days of cover (decimal text). */
  value: string;
  threshold: string | null;
  reason: string;
  /** Canonical version (a channel's: the sum over its locations). */
  version: number;
  at_ms: number;
  /** Stockout risk: demand signals counted for the SKU (all channels); 0 for other kinds. */
  demand: number;
}

/** The Avro schema JSON of `schemas/avro/stock_alert.avsc`. */
export function alertSchemaJson(): object {
  return JSON.parse(fs.readFileSync(path.join(projectRoot, 'schemas', 'avro', 'stock_alert.avsc'), 'utf8')) as object;
}
