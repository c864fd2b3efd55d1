/**
 * Reconciliation's front door: every mapped source against the canonical store, and the channel
 * tables against the channel rules, with repairs through the pipeline (docs/reconciliation.md).
 */
export { reconcile, type ReconcileOptions, type ReconcileReport } from './reconcile.ts';
export { formatReport } from './format.ts';
export { parseInterval, scheduleReconcile, type ScheduledReconcile } from './schedule.ts';
export { readExpectedStock, keyOf, type ExpectedStock, type ExpectedKey } from './expected.ts';
export { compareStock, readCanonical, type StockDifference } from './compare.ts';
