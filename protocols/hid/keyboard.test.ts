import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtocolError, fromHex } from '../errors';
import { BootKeyboardDecoder, encodeKeyboardText } from './keyboard';

describe('HID boot-keyboard reports', () => {
  it('decodes press/release reports with shift into text ended by Enter', () => {
    const d = new BootKeyboardDecoder();
    const reports = [
      '02 00 0b 00 00 00 00 00', // Shift+h → H
      '00 00 00 00 00 00 00 00',
      '00 00 27 00 00 00 00 00', // 0
      '00 00 00 00 00 00 00 00',
      '00 00 1e 00 00 00 00 00', // 1
      '00 00 28 00 00 00 00 00', // Enter while releasing 1 is not yet reported
      '00 00 00 00 00 00 00 00',
    ];
    const out = reports.flatMap((r) => d.push(fromHex(r)));
    expect(out).toEqual(['H01']);
  });
  it('a key held across reports is typed once', () => {
    const d = new BootKeyboardDecoder();
    d.push(fromHex('00 00 1e 00 00 00 00 00'));
    d.push(fromHex('00 00 1e 00 00 00 00 00'));
    expect(d.partial).toBe('1');
  });
  it('ignores the phantom (rollover) state', () => {
    const d = new BootKeyboardDecoder();
    d.push(fromHex('00 00 01 01 01 01 01 01'));
    expect(d.partial).toBe('');
  });
  it('Ctrl+] types GS for GS1 codes', () => {
    const d = new BootKeyboardDecoder();
    d.push(fromHex('01 00 30 00 00 00 00 00'));
    expect(d.partial).toBe('\x1d');
  });
  it('rejects a report of the wrong length', () => {
    expect(() => new BootKeyboardDecoder().push(new Uint8Array(5))).toThrow(ProtocolError);
  });
  it('round-trips any printable ASCII code through encode and decode, with a report id too', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[\x20-\x7e]{0,40}$/), fc.boolean(), (text, numbered) => {
        const d = new BootKeyboardDecoder(numbered ? 1 : undefined);
        const out = encodeKeyboardText(text, numbered ? 1 : undefined).flatMap((r) => d.push(r));
        expect(out).toEqual([text]);
      }),
    );
  });
  it('random 8-byte reports never crash the decoder', () => {
    const d = new BootKeyboardDecoder();
    fc.assert(fc.property(fc.uint8Array({ minLength: 8, maxLength: 8 }), (r) => void d.push(r)));
  });
});
