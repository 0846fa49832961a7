// Money in the browser: integer minor units, formatted and parsed as strings (never floats).

/** 12345, 2 → "123.45"; -5, 2 → "-0.05". */
export function formatMinor(minor, digits) {
  if (!Number.isSafeInteger(minor)) return '—';
  const neg = minor < 0;
  let s = String(Math.abs(minor));
  if (digits === 0) return (neg ? '-' : '') + s;
  s = s.padStart(digits + 1, '0');
  const whole = s.slice(0, s.length - digits);
  return `${neg ? '-' : ''}${whole}.${s.slice(s.length - digits)}`;
}

/** "12.3" → 1230 with 2 digits; null when it is not an amount or has too many decimals. */
export function parseMajor(text, digits) {
  const t = String(text).trim().replace(/^[¥$€]/, '').replace(/,/g, '');
  const m = /^(\d{1,13})(?:\.(\d*))?$/.exec(t);
  if (!m) return null;
  const frac = m[2] ?? '';
  if (frac.length > digits) return null;
  const n = Number(m[1] + frac.padEnd(digits, '0'));
  return Number.isSafeInteger(n) ? n : null;
}

/** Whole numbers (quantities, points). */
export function parseWhole(text) {
  const t = String(text).trim();
  if (!/^\d{1,12}$/.test(t)) return null;
  return Number(t);
}
