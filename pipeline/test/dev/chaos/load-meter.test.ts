import { describe, expect, it } from 'vitest';
import { LoadMeter } from '../../../dev/chaos/load-meter.ts';

describe('LoadMeter', () => {
  it('divides the changes by the seconds the generator wrote, not by the time the fault took afterwards', () => {
    const meter = new LoadMeter();
    meter.start();
    meter.count([{ estimatedChanges: 10_000 }, { estimatedChanges: 10_000 }]);
    // A 20 s load window; the runner then waited out a 30 s pause: that time is not the generator's.
    meter.stepRan({ startedAtMs: 1_000, endedAtMs: 21_000 });
    meter.stop();
    expect(meter.changesPerSecond()).toBe(1000);
  });

  it('adds the time until a generator failed and the window of the one that wrote the rest', () => {
    const meter = new LoadMeter();
    meter.start();
    meter.count([{ estimatedChanges: 4_000 }]);
    meter.stepFailed(0, 8_000);
    meter.count([{ estimatedChanges: 4_000 }]);
    meter.stepRan({ startedAtMs: 30_000, endedAtMs: 38_000 });
    expect(meter.changesPerSecond()).toBe(500);
  });

  it('counts only while started; a new window starts from zero; nothing written is 0', () => {
    const meter = new LoadMeter();
    meter.count([{ estimatedChanges: 99 }]);
    meter.start();
    expect(meter.changesPerSecond()).toBe(0);
    meter.count([{ estimatedChanges: 5 }]);
    meter.stepRan({ startedAtMs: 0, endedAtMs: 1_000 });
    meter.stop();
    meter.count([{ estimatedChanges: 1_000 }]);
    expect(meter.changesPerSecond()).toBe(5);
    meter.start();
    meter.count([{ estimatedChanges: 7 }]);
    meter.stepRan({ startedAtMs: 0, endedAtMs: 1_000 });
    expect(meter.changesPerSecond()).toBe(7);
  });
});
