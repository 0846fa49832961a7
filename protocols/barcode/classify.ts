import { ProtocolError } from '../errors';
import { type Gs1Element, GS, parseGs1 } from './gs1';
import { isValidGtin } from './gtin';
import { type MemberQr, parseMemberQr } from './member-qr';
import { type VariableMeasureCode, type VariableMeasureLayout, parseVariableMeasure } from './variable-measure';

export type Wallet = 'wechat' | 'alipay' | 'unionpay';

/** What a scanned text means at the checkout. */
export type ScanMeaning =
  | { readonly kind: 'member-qr'; readonly qr: MemberQr }
  | { readonly kind: 'payment-code'; readonly wallet: Wallet; readonly code: string }
  | { readonly kind: 'variable-measure'; readonly item: VariableMeasureCode }
  | { readonly kind: 'gtin'; readonly gtin: string }
  | { readonly kind: 'gs1'; readonly elements: readonly Gs1Element[] }
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'invalid'; readonly code: ProtocolError['code']; readonly message: string };

/** The wallet a customer-presented payment code belongs to, by its published number ranges. */
export function paymentWallet(text: string): Wallet | undefined {
  if (/^1[0-5]\d{16}$/.test(text)) return 'wechat';
  if (/^(2[5-9]|30)\d{14,22}$/.test(text)) return 'alipay';
  if (/^62\d{17}$/.test(text)) return 'unionpay';
  return undefined;
}

/** Splits an AIM symbology identifier ("]E0", "]C1", …) off the front of a scan. */
export function splitAim(text: string): { aim: string | undefined; data: string } {
  const m = /^\][A-Za-z][0-9A-Za-z]/.exec(text);
  return m ? { aim: m[0], data: text.slice(3) } : { aim: undefined, data: text };
}

/** Decides what a scan is: member QR, payment code, scale label, GTIN, GS1 string or plain text. */
export function classifyScan(raw: string, layouts: readonly VariableMeasureLayout[] = []): ScanMeaning {
  const { aim, data } = splitAim(raw);
  try {
    const qr = parseMemberQr(data);
    if (qr) return { kind: 'member-qr', qr };
    const wallet = paymentWallet(data);
    if (wallet) return { kind: 'payment-code', wallet, code: data };
    const isGs1 = aim === ']C1' || aim === ']e0' || aim === ']d2' || aim === ']Q3' || data.startsWith(GS);
    if (isGs1) return { kind: 'gs1', elements: parseGs1(data) };
    if (/^\d{13}$/.test(data)) {
      for (const layout of layouts) {
        const item = parseVariableMeasure(data, layout);
        if (item) return { kind: 'variable-measure', item };
      }
    }
    if (/^(\d{8}|\d{12}|\d{13}|\d{14})$/.test(data)) {
      if (!isValidGtin(data)) return { kind: 'invalid', code: 'BAD_CHECK_DIGIT', message: `barcode ${data} has a wrong check digit; scan it again` };
      return { kind: 'gtin', gtin: data.padStart(14, '0') };
    }
    return { kind: 'text', text: data };
  } catch (err) {
    if (err instanceof ProtocolError) return { kind: 'invalid', code: err.code, message: err.message };
    throw err;
  }
}
