import { DEFAULT_SCALE_LABEL_LAYOUTS, type ScaleLabelLayout } from '../core/weighed';
import { encodeVariableMeasure } from '../protocols/barcode/variable-measure';

/** Scale-label layouts and labels the scale-label tests share (the till's and the one with HQ). */

export const [DEFAULT_WEIGHT, DEFAULT_PRICE] = DEFAULT_SCALE_LABEL_LAYOUTS as [ScaleLabelLayout, ScaleLabelLayout];
// Another chain's scales: weight labels 21 + PLU(5) + grams(5), no verifier; price labels 22 + PLU(5) + fen(5).
export const CHAIN_WEIGHT: ScaleLabelLayout = { prefixes: ['21'], itemDigits: 5, value: 'weight', valueDigits: 5, valueCheckDigit: false };
export const CHAIN_PRICE: ScaleLabelLayout = { prefixes: ['22'], itemDigits: 5, value: 'price', valueDigits: 5, valueCheckDigit: false };
// One store's own scale, configured in its devices.json: weight labels 29 + PLU(5) + grams(5).
export const STORE_WEIGHT: ScaleLabelLayout = { prefixes: ['29'], itemDigits: 5, value: 'weight', valueDigits: 5, valueCheckDigit: false };

// 苹果 PLU 10001 at ¥12.80/kg, 1.234 kg = ¥15.80, as each layout prints it.
export const APPLES_DEFAULT = encodeVariableMeasure(DEFAULT_WEIGHT, '28', '10001', 1234);
export const APPLES_CHAIN = encodeVariableMeasure(CHAIN_WEIGHT, '21', '10001', 1234);
export const APPLES_STORE = encodeVariableMeasure(STORE_WEIGHT, '29', '10001', 1234);
// 卤鸭 PLU 20001 at ¥46.90/kg; the scale printed ¥23.45 (0.500 kg worked back).
export const DUCK_DEFAULT = encodeVariableMeasure(DEFAULT_PRICE, '2', '020001', 2345);
export const DUCK_CHAIN = encodeVariableMeasure(CHAIN_PRICE, '22', '20001', 2345);
