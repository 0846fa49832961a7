import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtocolError, latin1 } from '../errors';
import { HID_POS_REPORT_SIZE, HidPosDecoder, encodeHidPosScan } from './pos-scanner';

describe('HID POS scanner reports (usage page 0x8C)', () => {
  it('decodes a single report with AIM id and length', () => {
    const r = new Uint8Array(HID_POS_REPORT_SIZE);
    r.set([0x02, 13, ...latin1(']E0'), ...latin1('6901234567892')]);
    expect(new HidPosDecoder().push(r)).toEqual({ aim: ']E0', data: latin1('6901234567892') });
  });
  it('joins a long QR code over continuation reports', () => {
    const text = 'OC1-'.padEnd(150, 'x');
    const reports = encodeHidPosScan(latin1(text), ']Q1');
    expect(reports).toHaveLength(3);
    const d = new HidPosDecoder();
    expect(d.push(reports[0]!)).toBeUndefined();
    expect(d.push(reports[1]!)).toBeUndefined();
    expect(d.push(reports[2]!)).toEqual({ aim: ']Q1', data: latin1(text) });
  });
  it('rejects a report that claims more data than it can hold', () => {
    const r = new Uint8Array(HID_POS_REPORT_SIZE);
    r.set([0x02, 57]);
    expect(() => new HidPosDecoder().push(r)).toThrow(expect.objectContaining({ code: 'BAD_LENGTH' }));
  });
  it('round-trips any data through encode and decode', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (data) => {
        const d = new HidPosDecoder();
        const out = encodeHidPosScan(data).map((r) => d.push(r));
        expect(out.at(-1)).toEqual({ aim: ']E0', data });
      }),
    );
  });
  it('random reports give a scan, nothing, or a ProtocolError', () => {
    const d = new HidPosDecoder();
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 70 }), (r) => {
        try {
          d.push(r);
        } catch (e) {
          expect(e).toBeInstanceOf(ProtocolError);
        }
      }),
    );
  });
});
