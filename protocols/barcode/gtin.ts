/** GS1 mod-10 check digit of the digits before it (EAN-8, UPC-A, EAN-13, GTIN-14). */
export function gtinCheckDigit(body: string): number {
  if (!/^\d+$/.test(body)) throw new TypeError(`GTIN body must be digits, got "${body}"`);
  let sum = 0;
  // Weights alternate 3,1,3… starting from the rightmost digit of the body.
  for (let i = body.length - 1, w = 3; i >= 0; i--, w = 4 - w) sum += (body.charCodeAt(i) - 48) * w;
  return (10 - (sum % 10)) % 10;
}

/** True when `code` is an EAN-8, UPC-A, EAN-13 or GTIN-14 whose last digit checks. */
export function isValidGtin(code: string): boolean {
  if (!/^(\d{8}|\d{12}|\d{13}|\d{14})$/.test(code)) return false;
  return gtinCheckDigit(code.slice(0, -1)) === Number(code.slice(-1));
}
