/** Issue "Real local stack": `stack up` is idempotent and `status` reports every component. */
import { describe, expect, it } from 'vitest';
import { stackStatus, stackUp } from '../../../dev/stack/stack.ts';

describe('stack lifecycle', () => {
  it('a second `up` finds every component healthy and starts nothing', async () => {
    const results = await stackUp(() => undefined);
    expect(results.map((r) => r.component).sort()).toEqual([
      'kafka',
      'kafka-connect',
      'mariadb',
      'pos-mariadb',
      'postgres',
      'redis',
      'schema-registry',
      'wms-postgres',
    ]);
    expect(results.filter((r) => r.action !== 'already-running')).toEqual([]);
  });

  it('status reports each managed component healthy with its pid and memory', async () => {
    const status = await stackStatus();
    for (const s of status) expect({ component: s.component, healthy: s.healthy }).toEqual({ component: s.component, healthy: true });
    for (const s of status.filter((c) => c.ownership === 'managed')) {
      expect(s.pid, s.component).toBeGreaterThan(0);
      expect(s.rssMiB, s.component).toBeGreaterThan(0);
    }
  });
});
