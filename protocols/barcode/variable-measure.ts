import type { ScaleLabelLayout } from '../../core/weighed';
import { ProtocolError } from '../errors';
import { gtinCheckDigit, isValidGtin } from './gtin';

/** A scale-label layout (core/weighed.ts): where the item code and the price or weight sit. */
export type VariableMeasureLayout = ScaleLabelLayout;

export interface VariableMeasureCode {
  readonly prefix: string;
  readonly itemCode: string;
  readonly value: 'price' | 'weight';
  /** Minor units for price, grams for weight. */
  readonly amount: number;
}

// GS1 General Specifications 7.9.3 weighting tables, indexed by digit.
const TWO_MINUS = [0, 2, 4, 6, 8, 9, 1, 3, 5, 7];
const THREE = [0, 3, 6, 9, 2, 5, 8, 1, 4, 7];
const FIVE_PLUS = [0, 5, 1, 6, 2, 7, 3, 8, 4, 9];
const FIVE_MINUS = [0, 5, 9, 4, 8, 3, 7, 2, 6, 1];

/** GS1 price/weight verifier digit of a 4- or 5-digit field (General Specifications 7.9.3). */
export function priceCheckDigit(field: string): number {
  if (!/^\d{4,5}$/.test(field)) throw new ProtocolError('BAD_FORMAT', `a price field is 4 or 5 digits, got "${field}"`);
  const d = Array.from(field, (c) => c.charCodeAt(0) - 48);
  if (d.length === 4) {
    const sum = TWO_MINUS[d[0]!]! + TWO_MINUS[d[1]!]! + THREE[d[2]!]! + FIVE_MINUS[d[3]!]!;
    return (sum * 3) % 10;
  }
  const sum = FIVE_PLUS[d[0]!]! + TWO_MINUS[d[1]!]! + FIVE_MINUS[d[2]!]! + FIVE_PLUS[d[3]!]! + TWO_MINUS[d[4]!]!;
  return FIVE_MINUS.indexOf((10 - (sum % 10)) % 10);
}

/** Throws when the layout's parts do not add up to 13 digits. */
export function assertLayout(layout: VariableMeasureLayout): void {
  for (const p of layout.prefixes) {
    const total = p.length + layout.itemDigits + (layout.valueCheckDigit ? 1 : 0) + layout.valueDigits + 1;
    if (!/^2\d?$/.test(p) || total !== 13) {
      throw new ProtocolError('BAD_FORMAT', `variable-measure layout with prefix "${p}" adds up to ${total} digits, not 13`);
    }
  }
}

/**
 * Reads an in-store variable-measure EAN-13. Returns undefined when the code does not use one of
 * the layout's prefixes; throws BAD_CHECK_DIGIT when a check digit is wrong.
 */
export function parseVariableMeasure(code: string, layout: VariableMeasureLayout): VariableMeasureCode | undefined {
  if (!/^\d{13}$/.test(code)) return undefined;
  const prefix = [...layout.prefixes].sort((a, b) => b.length - a.length).find((p) => code.startsWith(p));
  if (prefix === undefined) return undefined;
  assertLayout(layout);
  if (!isValidGtin(code)) throw new ProtocolError('BAD_CHECK_DIGIT', `barcode ${code} has a wrong check digit; scan it again`);
  let pos = prefix.length;
  const itemCode = code.slice(pos, (pos += layout.itemDigits));
  const verifier = layout.valueCheckDigit ? Number(code[pos++]) : undefined;
  const valueField = code.slice(pos, pos + layout.valueDigits);
  if (verifier !== undefined && priceCheckDigit(valueField) !== verifier) {
    throw new ProtocolError('BAD_CHECK_DIGIT', `the ${layout.value} in barcode ${code} does not match its verifier digit; scan it again`);
  }
  return { prefix, itemCode, value: layout.value, amount: Number(valueField) };
}

/** Builds the EAN-13 a store scale would print (used by simulators and tests). */
export function encodeVariableMeasure(layout: VariableMeasureLayout, prefix: string, itemCode: string, amount: number): string {
  assertLayout(layout);
  if (!layout.prefixes.includes(prefix)) throw new ProtocolError('BAD_FORMAT', `prefix ${prefix} is not in this layout`);
  if (!new RegExp(`^\\d{${layout.itemDigits}}$`).test(itemCode)) {
    throw new ProtocolError('BAD_FORMAT', `item code must be ${layout.itemDigits} digits, got "${itemCode}"`);
  }
  if (!Number.isSafeInteger(amount) || amount < 0 || amount >= 10 ** layout.valueDigits) {
    throw new ProtocolError('BAD_FORMAT', `${layout.value} ${amount} does not fit in ${layout.valueDigits} digits`);
  }
  const value = String(amount).padStart(layout.valueDigits, '0');
  const body = prefix + itemCode + (layout.valueCheckDigit ? String(priceCheckDigit(value)) : '') + value;
  return body + String(gtinCheckDigit(body));
}
