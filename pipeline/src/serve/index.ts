/**
 * The serve stage's front door: after the merge commits, canonical changes leave the outbox for
 * Redis and the compacted `stock.levels` topic. Callers outside the stage import from here only.
 */
export { createOutboxPublisher, ensureStockLevelsTopic, type OutboxPublisher, type PublishedChange } from './publisher.ts';
export { createOutboxDrainer, type OutboxDrainer } from './outbox.ts';
