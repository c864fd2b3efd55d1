/**
 * Alerts' front door: low stock per channel, anomalies and stockout risk, decided where canonical
 * values change (`stock.levels`) and published to `stock.alerts`, a Redis stream and an optional
 * webhook (docs/alerts.md).
 */
export { startAlerts, type AlertsOptions, type RunningAlerts } from './alerts.ts';
export { anomalyOf, daysOfCover, lowStockThreshold, median, velocityAfter } from './detect.ts';
export type { AlertKind, StockAlert } from './alert.ts';
export { DEMAND_KINDS, parseDemandSignal, rankedStockoutRisks, sendDemandSignal, type DemandSignal, type RankedRisk } from './demand.ts';
