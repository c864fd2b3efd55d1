import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isAuthoritative, loadMapping, loadMappings, MappingError } from '../../src/normalize/mapping.ts';
import { resolveLevelRow } from '../../src/normalize/resolve.ts';

function writeMapping(text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mapping-'));
  const file = path.join(dir, 'bad.yaml');
  fs.writeFileSync(file, text);
  return file;
}

const shipped = fs.readFileSync(path.join(import.meta.dirname, '../../../schemas/sources/warehouse.yaml'), 'utf8');

describe('mapping files', () => {
  it('loads the shipped mappings', () => {
    const mappings = loadMappings();
    expect(mappings.map((m) => m.source).sort()).toEqual(['erpnext', 'pos', 'warehouse']);
  });

  it('names file, line and column of an unknown key', () => {
    const file = writeMapping(
      shipped.replace('    on_hand: { column: quantity, type: decimal }', '    on_hand: { column: quantity, type: decimal }\n    onhand: 3'),
    );
    try {
      loadMapping(file);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(MappingError);
      const problem = (error as MappingError).problems[0]!;
      expect(problem.file).toBe(file);
      expect(problem.line).toBe(shipped.split('\n').findIndex((l) => l.includes('on_hand: { column: quantity')) + 2);
      expect(problem.column).toBe(5);
      expect(problem.message).toContain('unknown key "onhand"');
    }
  });

  it('fills in the defaults of mapping.schema.json', () => {
    const mapping = loadMapping(
      writeMapping(
        [
          'source: tiny',
          'topic_prefix: tiny.db',
          'format: json',
          'locations: ["A"]',
          'levels:',
          '  stock:',
          '    row_key: [id]',
          '    sku: { column: sku }',
          '    location: { column: loc }',
          '    on_hand: { column: qty, type: double }',
          '',
        ].join('\n'),
      ),
    );
    expect(mapping).toMatchObject({ parked_timeout_seconds: 300, dimensions: {}, safety_stock: {}, movements: {} });
    expect(mapping.tables.stock).toMatchObject({
      sku: { column: 'sku', if_empty: 'quarantine' },
      quantity: { column: 'qty', scale: 6, if_null: 'quarantine' },
    });
    expect(mapping.tables.stock!.on_truncate).toBeUndefined(); // absent on purpose: its dead letter says no policy is configured
  });

  it('rejects a lookup into an undeclared dimension', () => {
    const file = writeMapping(shipped.replace('dimension: product_product, field', 'dimension: products, field'));
    expect(() => loadMapping(file)).toThrow(/dimension "products" is not declared/);
  });

  it('resolves ids through dimensions, filters and maps', () => {
    const mapping = loadMappings().find((m) => m.source === 'warehouse')!;
    const level = mapping.levels.stock_quant!;
    const dims: Record<string, Record<string, unknown>> = {
      'product_product/5': { default_code: 'SKU-000005' },
      'stock_location/10': { complete_name: 'WH1/Stock', usage: 'internal' },
      'stock_location/4': { complete_name: 'Partners/Vendors', usage: 'supplier' },
    };
    const lookup = (d: string, k: string) => dims[`${d}/${k}`];
    expect(resolveLevelRow(mapping, level, '5', '10', lookup)).toEqual({ status: 'mapped', sku: 'SKU-000005', location: 'WH1/Stock' });
    expect(resolveLevelRow(mapping, level, '5', '4', lookup).status).toBe('filtered');
    expect(resolveLevelRow(mapping, level, '6', '10', lookup).status).toBe('parked');
    expect(isAuthoritative(mapping, 'WH2/Stock')).toBe(true);
    expect(isAuthoritative(mapping, 'STORE-01')).toBe(false);
  });
});
