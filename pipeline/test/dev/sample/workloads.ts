/**
 * Workloads a test file runs, kept so that none outlives its connections: a test that fails or times
 * out may leave a workload running, and closing its connections under it would make its next
 * operation fail with nobody awaiting it (an unhandled rejection). `afterAll` awaits `stopAll()` —
 * every lane stopped after its current operation — and only then closes the connections.
 */
export class WorkloadRuns {
  private readonly stop = new AbortController();
  private readonly running = new Set<Promise<void>>();

  /**
   * Starts a workload with a signal that {@link stopAll} aborts; combine it with a signal of your
   * own through `AbortSignal.any`.
   *
   * @returns the workload's own promise.
   */
  run<T>(start: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const run = start(this.stop.signal);
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.running.add(settled);
    void settled.then(() => this.running.delete(settled));
    return run;
  }

  /** Stops every workload still running and waits until all their lanes stopped. */
  async stopAll(): Promise<void> {
    this.stop.abort();
    await Promise.all(this.running);
  }
}
