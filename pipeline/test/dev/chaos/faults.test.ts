import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../../src/config/project-root.ts';
import { FAULTS, selectFaults } from '../../../dev/chaos/faults.ts';

describe('fault catalogue', () => {
  it('holds every fault of issue 16 once: eleven kills and two pauses', () => {
    expect(FAULTS.map((f) => `${f.action} ${f.name}`)).toEqual([
      'kill pipeline-instance',
      'kill channels',
      'kill kafka',
      'kill kafka-connect',
      'kill schema-registry',
      'kill pos-mariadb',
      'kill wms-postgres',
      'kill canonical-postgres',
      'kill redis',
      'kill webshop-mariadb',
      'kill marketplace-postgres',
      'pause kafka-pause',
      'pause canonical-pause',
    ]);
  });

  it('never targets a machine service: the stores are the chaos run’s own servers', () => {
    const stack = FAULTS.flatMap((f) => (f.target.layer === 'stack' ? [f.target.component] : []));
    expect(stack).not.toContain('postgres');
    expect(stack).not.toContain('mariadb');
    expect(stack).not.toContain('redis');
    expect(FAULTS.filter((f) => f.target.layer === 'store').map((f) => f.name)).toEqual([
      'canonical-postgres',
      'redis',
      'webshop-mariadb',
      'marketplace-postgres',
      'canonical-pause',
    ]);
  });

  it('--short is three faults covering a product process, a stack component and a store', () => {
    const short = selectFaults([], true);
    expect(short.map((f) => f.name)).toEqual(['pipeline-instance', 'kafka', 'canonical-postgres']);
    expect(short.map((f) => f.target.layer)).toEqual(['product', 'stack', 'store']);
  });

  it('selects named faults in catalogue order, all by default, and names an unknown one', () => {
    expect(selectFaults(['redis', 'kafka']).map((f) => f.name)).toEqual(['kafka', 'redis']);
    expect(selectFaults([])).toHaveLength(FAULTS.length);
    expect(() => selectFaults(['kafka', 'zookeeper'])).toThrow(/unknown fault zookeeper; known: pipeline-instance, channels/);
  });

  it('says for every fault how it recovers and what an operator must do otherwise', () => {
    for (const f of FAULTS) {
      expect(f.recovery.length, f.name).toBeGreaterThan(20);
      expect(f.operator.length, f.name).toBeGreaterThan(10);
    }
  });

  it('is the table of docs/operations.md "Chaos", fault by fault', () => {
    const docs = fs.readFileSync(path.join(projectRoot, 'docs/operations.md'), 'utf8');
    const chaos = docs.slice(docs.indexOf('## Chaos'));
    for (const f of FAULTS) expect(chaos, f.name).toContain(`| \`${f.name}\` | ${f.what.replaceAll('|', '\\|')} | ${f.recovery} | ${f.operator} |`);
  });
});
