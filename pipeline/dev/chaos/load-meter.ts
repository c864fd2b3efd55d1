/**
 * What the load generator wrote during one fault's load window, and at what rate: the estimated
 * source changes of the operations committed while the meter is open, over the milliseconds a
 * generator was writing. The rate of a row must not count time nobody was writing: a pause fault
 * holds the runner for its whole length and `stack up` may take a minute after the load window
 * ended, and a source database fault ends the first generator's window early.
 */
import type { LoadOperation } from '../load/messages.ts';

/** Counts one window's changes and writing time. */
export class LoadMeter {
  private open = false;
  private changes = 0;
  private writingMs = 0;

  /** Starts a new window: counts reset, commits counted from now on. */
  start(): void {
    this.open = true;
    this.changes = 0;
    this.writingMs = 0;
  }

  /** Stops counting commits (those reported later belong to no window). */
  stop(): void {
    this.open = false;
  }

  /** Adds committed operations (the generator's `onCommit`); ignored while the meter is stopped. */
  count(operations: ReadonlyArray<Pick<LoadOperation, 'estimatedChanges'>>): void {
    if (this.open) for (const op of operations) this.changes += op.estimatedChanges;
  }

  /** Adds a generator step's pacing window (ms since epoch, as `LoadStepResult` reports it). */
  stepRan(step: { startedAtMs: number; endedAtMs: number }): void {
    this.writingMs += Math.max(0, step.endedAtMs - step.startedAtMs);
  }

  /** Adds the time a step wrote before it failed: from its start to the failure (ms since epoch). */
  stepFailed(startedAtMs: number, failedAtMs: number): void {
    this.writingMs += Math.max(0, failedAtMs - startedAtMs);
  }

  /** Estimated source changes per second while writing, rounded; 0 when nothing was written. */
  changesPerSecond(): number {
    return this.writingMs > 0 ? Math.round(this.changes / (this.writingMs / 1000)) : 0;
  }
}
