// Amounts typed in yuan become integer fen by string arithmetic: a float never carries money, so
// "0.29" is 29 fen and not 28.999…; more than two decimals is refused, never rounded away.

const AMOUNT = /^(-)?\s*[¥￥]?\s*(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d*))?$/;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * "800.00" → { ok: true, minor: 80000 }; anything else → { ok: false, message } saying why, in
 * Chinese and English. Accepts a leading ¥ and thousands commas (as the page shows amounts).
 */
export function parseYuan(text, { negative = false } = {}) {
  const s = String(text ?? '').trim();
  if (s === '') return { ok: false, message: '请输入金额 Enter an amount in yuan, e.g. 800.00' };
  const m = AMOUNT.exec(s);
  if (!m) return { ok: false, message: `金额格式不对 "${s}" is not an amount in yuan, e.g. 800.00` };
  const [, minus, whole, frac = ''] = m;
  if (frac.length > 2) return { ok: false, message: `最多两位小数 "${s}" has more than 2 decimals; amounts are in yuan and fen, e.g. 12.34` };
  if (m[3] === '') return { ok: false, message: `金额格式不对 "${s}" ends with a point; write e.g. 800.00` };
  const fen = BigInt(whole.replaceAll(',', '')) * 100n + BigInt(frac.padEnd(2, '0'));
  if (minus && fen !== 0n && !negative) return { ok: false, message: `不能为负数 "${s}" must not be negative` };
  if (fen > MAX_SAFE) return { ok: false, message: `金额过大 "${s}" is too large` };
  return { ok: true, minor: minus && fen !== 0n ? -Number(fen) : Number(fen) };
}

/** 80000 → "800.00" (no ¥, no commas): the text an amount input starts with. */
export function yuanText(minor) {
  if (minor === null || minor === undefined) return '';
  const sign = minor < 0 ? '-' : '';
  const abs = String(Math.abs(minor)).padStart(3, '0');
  return `${sign}${abs.slice(0, -2)}.${abs.slice(-2)}`;
}
