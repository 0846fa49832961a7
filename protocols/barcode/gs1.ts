import { ProtocolError } from '../errors';
import { isValidGtin } from './gtin';

/** GS (0x1D): how a scanner transmits FNC1 between variable-length elements. */
export const GS = '\x1d';

interface AiSpec {
  readonly title: string;
  /** Fixed data length, or undefined for variable length up to `max`. */
  readonly fixed?: number;
  readonly max?: number;
  readonly numeric: boolean;
}

// The application identifiers a store meets on trade items (GS1 General Specifications 3.2).
const AIS: Record<string, AiSpec> = {
  '00': { title: 'SSCC', fixed: 18, numeric: true },
  '01': { title: 'GTIN', fixed: 14, numeric: true },
  '02': { title: 'CONTENT', fixed: 14, numeric: true },
  '10': { title: 'BATCH/LOT', max: 20, numeric: false },
  '11': { title: 'PROD DATE', fixed: 6, numeric: true },
  '13': { title: 'PACK DATE', fixed: 6, numeric: true },
  '15': { title: 'BEST BEFORE', fixed: 6, numeric: true },
  '17': { title: 'USE BY', fixed: 6, numeric: true },
  '21': { title: 'SERIAL', max: 20, numeric: false },
  '30': { title: 'VAR. COUNT', max: 8, numeric: true },
  '37': { title: 'COUNT', max: 8, numeric: true },
  '400': { title: 'ORDER NUMBER', max: 30, numeric: false },
  '8200': { title: 'PRODUCT URL', max: 70, numeric: false },
};
for (let d = 0; d <= 5; d++) {
  AIS[`310${d}`] = { title: 'NET WEIGHT (kg)', fixed: 6, numeric: true };
  AIS[`392${d}`] = { title: 'PRICE', max: 15, numeric: true };
  AIS[`393${d}`] = { title: 'PRICE (ISO)', max: 18, numeric: true };
}

// First two digits of AIs whose length is predefined, so no FNC1 follows them (GS1 GenSpecs 7.8.5).
const PREDEFINED = new Set(['00', '01', '02', '03', '04', '11', '12', '13', '14', '15', '16', '17', '18', '19', '20', '31', '32', '33', '34', '35', '36', '41']);

export interface Gs1Element {
  readonly ai: string;
  readonly title: string;
  readonly value: string;
}

function lookup(data: string, pos: number): [string, AiSpec] {
  for (const len of [2, 3, 4]) {
    const ai = data.slice(pos, pos + len);
    const spec = AIS[ai];
    if (spec) return [ai, spec];
  }
  throw new ProtocolError('UNSUPPORTED', `unknown GS1 application identifier at "${data.slice(pos, pos + 4)}"`);
}

/**
 * Parses a GS1 element string as a scanner sends it: optional AIM id (]C1, ]e0, ]d2, ]Q3), then
 * AIs, with GS (FNC1) after each variable-length value that is not last.
 */
export function parseGs1(input: string): Gs1Element[] {
  let data = input.replace(/^\](C1|e0|d2|Q3)/, '');
  if (data.startsWith(GS)) data = data.slice(1); // a leading FNC1 some scanners transmit
  if (data.length === 0) throw new ProtocolError('TRUNCATED', 'empty GS1 element string');
  const out: Gs1Element[] = [];
  let pos = 0;
  while (pos < data.length) {
    const [ai, spec] = lookup(data, pos);
    pos += ai.length;
    let value: string;
    if (spec.fixed !== undefined) {
      value = data.slice(pos, pos + spec.fixed);
      if (value.length !== spec.fixed) throw new ProtocolError('TRUNCATED', `AI (${ai}) needs ${spec.fixed} characters, got ${value.length}`);
      pos += spec.fixed;
      if (data[pos] === GS) pos++; // tolerated, though not required
    } else {
      const end = data.indexOf(GS, pos);
      value = data.slice(pos, end === -1 ? data.length : end);
      pos = end === -1 ? data.length : end + 1;
      if (value.length === 0 || value.length > (spec.max ?? 0)) {
        throw new ProtocolError('BAD_LENGTH', `AI (${ai}) value has ${value.length} characters, allowed 1..${spec.max}`);
      }
    }
    if (spec.numeric && !/^\d+$/.test(value)) throw new ProtocolError('BAD_FORMAT', `AI (${ai}) must be digits, got "${value}"`);
    if (!spec.numeric && !/^[\x21-\x22\x25-\x3f\x41-\x5a\x5f\x61-\x7a]+$/.test(value)) {
      throw new ProtocolError('BAD_FORMAT', `AI (${ai}) has characters outside GS1 character set 82`);
    }
    if ((ai === '01' || ai === '02') && !isValidGtin(value)) {
      throw new ProtocolError('BAD_CHECK_DIGIT', `GTIN ${value} in AI (${ai}) has a wrong check digit`);
    }
    out.push({ ai, title: spec.title, value });
  }
  return out;
}

/** Builds the element string a GS1-128 symbol carries (no AIM id), FNC1 as GS where needed. */
export function encodeGs1(elements: readonly { ai: string; value: string }[]): string {
  let s = '';
  elements.forEach((e, i) => {
    const spec = AIS[e.ai];
    if (!spec) throw new ProtocolError('UNSUPPORTED', `unknown GS1 application identifier (${e.ai})`);
    s += e.ai + e.value;
    const last = i === elements.length - 1;
    if (!last && !PREDEFINED.has(e.ai.slice(0, 2))) s += GS;
  });
  return s;
}

/** Net weight in grams from AI 310n (kilograms with n decimals). */
export function netWeightGrams(elements: readonly Gs1Element[]): number | undefined {
  const e = elements.find((x) => x.ai.startsWith('310'));
  if (!e) return undefined;
  const decimals = Number(e.ai[3]);
  // value / 10^decimals kg = value * 10^(3-decimals) g; integer maths only.
  return decimals <= 3 ? Number(e.value) * 10 ** (3 - decimals) : Math.round(Number(e.value) / 10 ** (decimals - 3));
}

/** Price in minor units (2 decimals) from AI 392n, or undefined when absent or finer than a fen. */
export function priceMinor(elements: readonly Gs1Element[]): number | undefined {
  const e = elements.find((x) => x.ai.startsWith('392'));
  if (!e) return undefined;
  const decimals = Number(e.ai[3]);
  if (decimals <= 2) return Number(e.value) * 10 ** (2 - decimals);
  const scale = 10 ** (decimals - 2);
  const v = Number(e.value);
  if (v % scale !== 0) throw new ProtocolError('BAD_FORMAT', `price ${e.value} with ${decimals} decimals is not a whole number of fen`);
  return v / scale;
}
