import { describe, expect, it } from 'vitest';
import { DomainError } from '../core/errors';
import type { ScaleLabelLayout } from '../core/weighed';
import { parseDevicesConfig } from '../drivers';
import { demoChain } from '../fixtures/data/demo-chain';
import { scaleLabelLayouts } from './devices';
import { applyChange } from './master-data';
import { openTestTerminal, type TestTerminal } from './testing';
import { DEFAULT_WEIGHT, CHAIN_WEIGHT, CHAIN_PRICE, STORE_WEIGHT, APPLES_DEFAULT, APPLES_CHAIN, APPLES_STORE, DUCK_CHAIN } from './testing-scale-labels';

/**
 * Which layouts a till reads scale labels with: its devices.json scanner's when it has any,
 * else the chain's scaleLabelLayouts setting as synced, else that setting's default.
 */

let seq = 1000;
function syncSetting(t: TestTerminal, value: unknown, deleted = false): void {
  applyChange(t.db, { seq: ++seq, deleted, body: { type: 'setting', key: 'scaleLabelLayouts', value: value as ScaleLabelLayout[] } }, { currency: 'CNY', appliedSeq: 0, snapshotGen: 0, at: 1 });
}

function typed(t: TestTerminal, code: string) {
  const sale = t.checkout.openSale();
  try {
    const line = t.checkout.addItem(sale.id, code).lines[0]!;
    return { sku: line.sku, amountMinor: line.amountMinor, measure: line.measure };
  } catch (e) {
    if (e instanceof DomainError) return { refused: e.code };
    throw e;
  }
}

const APPLES_1234G = { sku: 'SKU-0067', amountMinor: 1580, measure: { grams: 1234, pricePerKgMinor: 1280 } };

function devicesJson(variableMeasure?: ScaleLabelLayout[]) {
  return parseDevicesConfig({
    version: 1,
    devices: [{ name: 'scanner', class: 'scanner', transport: { type: 'tcp', host: '127.0.0.1', port: 9000 }, protocol: 'serial-lines', ...(variableMeasure ? { variableMeasure } : {}) }],
  });
}

describe('scale-label layouts at a till', () => {
  it('with no devices.json and no setting synced yet, a typed label is read with the default layouts', () => {
    const t = openTestTerminal(demoChain);
    expect(t.checkout.scaleLabelLayouts()).toEqual([DEFAULT_WEIGHT, { prefixes: ['2'], itemDigits: 6, value: 'price', valueDigits: 5, valueCheckDigit: false }]);
    expect(typed(t, APPLES_DEFAULT)).toEqual(APPLES_1234G);
  });

  it("the chain's synced layouts change how a label is read; deleting the setting brings the default back", () => {
    const t = openTestTerminal(demoChain);
    syncSetting(t, [CHAIN_WEIGHT, CHAIN_PRICE]);
    expect(typed(t, APPLES_CHAIN)).toEqual(APPLES_1234G);
    expect(typed(t, DUCK_CHAIN)).toEqual({ sku: 'SKU-0070', amountMinor: 2345, measure: { grams: 500, pricePerKgMinor: 4690, weightDerived: true } });
    // The default's label is no longer a label here: an ordinary barcode the catalog does not have.
    expect(typed(t, APPLES_DEFAULT)).toEqual({ refused: 'UNKNOWN_BARCODE' });
    syncSetting(t, null, true);
    expect(typed(t, APPLES_DEFAULT)).toEqual(APPLES_1234G);
    expect(typed(t, APPLES_CHAIN)).toEqual({ refused: 'UNKNOWN_PLU' }); // read as a default price label of PLU 110001
  });

  it('a chain that sets no layouts reads no code as a scale label', () => {
    const t = openTestTerminal(demoChain);
    syncSetting(t, []);
    expect(t.checkout.scaleLabelLayouts()).toEqual([]);
    expect(typed(t, APPLES_DEFAULT)).toEqual({ refused: 'UNKNOWN_BARCODE' });
  });

  it("a store's devices.json layouts win over the chain's setting", () => {
    const t = openTestTerminal(demoChain, { checkout: { scaleLabelLayouts: scaleLabelLayouts(devicesJson([STORE_WEIGHT])) } });
    syncSetting(t, [CHAIN_WEIGHT, CHAIN_PRICE]);
    expect(t.checkout.scaleLabelLayouts()).toEqual([STORE_WEIGHT]);
    expect(typed(t, APPLES_STORE)).toEqual(APPLES_1234G);
    expect(typed(t, APPLES_CHAIN)).toEqual({ refused: 'UNKNOWN_BARCODE' });
    expect(typed(t, APPLES_DEFAULT)).toEqual({ refused: 'UNKNOWN_BARCODE' });
  });

  it("a devices.json whose scanner has no layouts leaves the chain's", () => {
    const t = openTestTerminal(demoChain, { checkout: { scaleLabelLayouts: scaleLabelLayouts(devicesJson()) } });
    syncSetting(t, [CHAIN_WEIGHT, CHAIN_PRICE]);
    expect(typed(t, APPLES_CHAIN)).toEqual(APPLES_1234G);
  });

  it('a synced row that no longer parses falls back to the default rather than breaking the sale', () => {
    const t = openTestTerminal(demoChain);
    t.db.prepare('INSERT INTO settings (key, value_json, updated_at) VALUES (?, ?, ?)').run('scaleLabelLayouts', JSON.stringify([{ ...CHAIN_WEIGHT, itemDigits: 6 }]), 1);
    expect(typed(t, APPLES_DEFAULT)).toEqual(APPLES_1234G);
  });
  it("a store's own product whose barcode falls inside a label prefix still sells as that product when typed", () => {
    const t = openTestTerminal(demoChain);
    // An in-store code 2000000123455: under the default layouts it would read as a price label of PLU 000000.
    const own = { ...demoChain.products[0]!, sku: 'SKU-OWN-2X', barcode: '2000000123455', active: true };
    applyChange(t.db, { seq: ++seq, deleted: false, body: { type: 'product', product: own } }, { currency: 'CNY', appliedSeq: 0, snapshotGen: 0, at: 1 });
    const sold = typed(t, '2000000123455');
    expect(sold).toMatchObject({ sku: 'SKU-OWN-2X', amountMinor: own.priceMinor });
    expect((sold as { measure?: unknown }).measure ?? null).toBeNull();
    // Labels outside the catalog are still labels.
    expect(typed(t, APPLES_DEFAULT)).toEqual(APPLES_1234G);
  });
});
