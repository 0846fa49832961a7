// Items sold by weight in the cashier app: a weight keyed with a PLU, and how a weighed line reads.
// Weights are integer grams, parsed and shown by string arithmetic (never floats).

/**
 * "1.234*10001" → { grams: 1234, code: '10001' }: kilograms with a decimal point (at most three
 * decimals), "*", then the PLU or barcode. Null when the text is not a keyed weight ("3*code" is
 * a quantity, not a weight).
 */
export function parseWeighedEntry(text) {
  const m = /^(\d{1,2})\.(\d{1,3})\*(\d{1,14})$/.exec(String(text).trim());
  if (!m) return null;
  const grams = Number(m[1]) * 1000 + Number(m[2].padEnd(3, '0'));
  return { grams, code: m[3] };
}

/** 1234 → "1.234" (kilograms, three decimals). */
export function formatKg(grams) {
  const s = String(grams).padStart(4, '0');
  return `${s.slice(0, -3)}.${s.slice(-3)}`;
}

/** The line under a weighed item's name: "1.234 kg × ¥12.80/kg" (the same in zh and en). */
export function weighedLineHtml(line, money) {
  const m = line.measure;
  if (!m) return '';
  return `<span class="weighed" data-grams="${m.grams}">${formatKg(m.grams)} kg × ${money(m.pricePerKgMinor)}/kg</span>`;
}
