import { describe, expect, it } from 'vitest';
import { DEFAULT_SCALE_LABEL_LAYOUTS } from '../../core/weighed';
import { scaleLabelLayoutsSchema } from './scale-layouts';
import { encodeVariableMeasure, parseVariableMeasure } from './variable-measure';

const firstIssue = (value: unknown) => {
  const r = scaleLabelLayoutsSchema.safeParse(value);
  if (r.success) throw new Error('expected a refusal');
  return { path: r.error.issues[0]!.path, message: r.error.issues[0]!.message };
};

describe('scale-label layouts as a setting or devices.json gives them', () => {
  it('the default layouts (weight labels 28…, price labels 2…) are accepted and read the labels they print', () => {
    const layouts = scaleLabelLayoutsSchema.parse(DEFAULT_SCALE_LABEL_LAYOUTS);
    expect(layouts).toEqual(DEFAULT_SCALE_LABEL_LAYOUTS);
    const [weight, price] = layouts;
    expect(parseVariableMeasure(encodeVariableMeasure(weight!, '28', '10001', 1234), weight!)).toEqual({ prefix: '28', itemCode: '10001', value: 'weight', amount: 1234 });
    expect(parseVariableMeasure(encodeVariableMeasure(price!, '2', '020001', 2345), price!)).toEqual({ prefix: '2', itemCode: '020001', value: 'price', amount: 2345 });
  });

  it('no layouts at all is a chain whose scales print no labels', () => {
    expect(scaleLabelLayoutsSchema.parse([])).toEqual([]);
  });

  it('a layout whose parts do not add up to 13 digits is refused with the sum', () => {
    expect(firstIssue([{ prefixes: ['28'], itemDigits: 6, value: 'weight', valueDigits: 4, valueCheckDigit: true }])).toEqual({
      path: [0],
      message: 'variable-measure layout with prefix "28" adds up to 14 digits, not 13',
    });
    // One layout cannot mix prefix lengths: one of them is always a digit short or over.
    expect(firstIssue([{ prefixes: ['2', '21'], itemDigits: 6, value: 'price', valueDigits: 5, valueCheckDigit: false }]).message).toBe(
      'variable-measure layout with prefix "21" adds up to 14 digits, not 13',
    );
  });

  it('a prefix outside the GS1 in-store range 2x is refused', () => {
    expect(firstIssue([{ prefixes: ['3'], itemDigits: 6, value: 'price', valueDigits: 5, valueCheckDigit: false }])).toMatchObject({ path: [0, 'prefixes', 0] });
  });

  it('a layout a layout before it always takes the codes of is refused, naming both', () => {
    const price = { prefixes: ['2'], itemDigits: 6, value: 'price', valueDigits: 5, valueCheckDigit: false };
    const weight = { prefixes: ['28'], itemDigits: 5, value: 'weight', valueDigits: 4, valueCheckDigit: true };
    expect(firstIssue([price, weight])).toEqual({ path: [1, 'prefixes'], message: 'prefix "28" is never read with this layout: layout 0 before it reads every code starting with "2"' });
    expect(firstIssue([weight, weight]).message).toContain('prefix "28" is never read with this layout');
  });

  it('a value field other than 4 or 5 digits is refused', () => {
    expect(firstIssue([{ prefixes: ['2'], itemDigits: 5, value: 'price', valueDigits: 6, valueCheckDigit: false }])).toMatchObject({ path: [0, 'valueDigits'] });
  });
});
