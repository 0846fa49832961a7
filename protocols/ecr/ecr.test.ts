import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtocolError, fromLatin1, latin1, toHex } from '../errors';
import { type ConcertResponse, decodeConcertRequest, decodeConcertResponse, encodeConcertRequest, encodeConcertResponse } from './concert';
import { ACK, ENQ, EOT, NAK, StxFrameReader, encodeStxFrame } from './framing';
import { type PipeSaleAnswer, decodeRefundAnswer, decodeSaleAnswer, decodeSaleRequest, decodeStatusMessage, encodeRefundAnswer, encodeSaleAnswer, encodeSaleRequest, encodeStatusMessage } from './pipe';

describe('STX … ETX LRC framing', () => {
  it('the poll command "0100" is 02 30 31 30 30 03 02 (LRC = XOR after STX)', () => {
    expect(toHex(encodeStxFrame(latin1('0100')))).toBe('02 30 31 30 30 03 02');
  });
  it('reads control bytes and frames, and flags a wrong LRC', () => {
    const good = encodeStxFrame(latin1('0200|1000|A1|0|0'));
    const bad = good.slice();
    bad[bad.length - 1] = bad[bad.length - 1]! ^ 0xff;
    const items = new StxFrameReader().push(Uint8Array.of(ENQ, ACK, ...good, NAK, ...bad, EOT));
    expect(items.map((i) => i.type)).toEqual(['enq', 'ack', 'frame', 'nak', 'bad', 'eot']);
    expect(items[4]).toMatchObject({ error: { code: 'BAD_CHECKSUM' } });
  });
  it('round-trips any printable payload split anywhere', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[\x20-\x7e]{0,120}$/), fc.nat(130), (s, cut) => {
        const f = encodeStxFrame(latin1(s));
        const r = new StxFrameReader();
        const items = [...r.push(f.subarray(0, cut)), ...r.push(f.subarray(cut))];
        expect(items).toEqual([{ type: 'frame', data: latin1(s) }]);
      }),
    );
  });
  it('fuzz: random bytes never throw and never grow a frame without bound', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 100 }), { maxLength: 30 }), (chunks) => {
        const r = new StxFrameReader(64);
        for (const c of chunks) for (const i of r.push(c)) if (i.type === 'bad') expect(i.error).toBeInstanceOf(ProtocolError);
      }),
    );
  });
});

describe('Concert messages', () => {
  it('a sale of 12.34 on desk 01 in CNY is the fixed 34-character request', () => {
    const s = encodeConcertRequest({ pos: '01', amount_minor: 1234, transaction: 'debit', currency: '156', privateData: 'R000042' });
    expect(s).toBe('0100001234110156R000042   A010B010');
    expect(s).toHaveLength(34);
    expect(decodeConcertRequest(s)).toEqual({ pos: '01', amount_minor: 1234, transaction: 'debit', currency: '156', privateData: 'R000042' });
  });
  it('round-trips any request', () => {
    const arb = fc.record({
      pos: fc.stringMatching(/^\d{2}$/),
      amount_minor: fc.integer({ min: 0, max: 99_999_999 }),
      transaction: fc.constantFrom('debit' as const, 'credit' as const, 'cancel' as const),
      currency: fc.stringMatching(/^\d{3}$/),
      privateData: fc.stringMatching(/^[0-9A-Z]{0,10}$/),
    });
    fc.assert(
      fc.property(arb, (r) => {
        expect(decodeConcertRequest(encodeConcertRequest(r))).toEqual(r);
      }),
    );
  });
  it('rejects an amount that does not fit 8 digits', () => {
    expect(() => encodeConcertRequest({ pos: '01', amount_minor: 100_000_000, transaction: 'debit', currency: '156', privateData: '' })).toThrow(ProtocolError);
  });
  it('round-trips answers', () => {
    const arb = fc.record({
      pos: fc.stringMatching(/^\d{2}$/),
      status: fc.constantFrom('0', '7'),
      amount_minor: fc.integer({ min: 0, max: 99_999_999 }),
      mode: fc.constantFrom('1', 'C'),
      report: fc.stringMatching(/^[0-9A-Z]{0,55}$/),
      currency: fc.stringMatching(/^\d{3}$/),
      privateData: fc.stringMatching(/^[0-9A-Z]{0,10}$/),
    });
    fc.assert(
      fc.property(arb, (r: ConcertResponse) => {
        expect(decodeConcertResponse(encodeConcertResponse(r))).toEqual(r);
      }),
    );
  });
  it('fuzz: random text is an answer or a ProtocolError', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 90 }), fc.stringMatching(/^\d{80}$/)), (s) => {
        try {
          decodeConcertResponse(s);
        } catch (e) {
          expect(e).toBeInstanceOf(ProtocolError);
        }
      }),
    );
  });
});

describe('pipe-separated ECR messages', () => {
  it('encodes a sale with its ticket', () => {
    expect(encodeSaleRequest(1250, 'R42')).toBe('0200|1250|R42||0|1');
    expect(encodeSaleRequest(1250, 'R42', { sendStatus: false })).toBe('0200|1250|R42||0|0');
    expect(decodeSaleRequest('0200|1250|R42||0|1')).toEqual({ amount_minor: 1250, ticket: 'R42', sendStatus: true });
    expect(decodeSaleRequest('0200|1250|R42|0|0')).toEqual({ amount_minor: 1250, ticket: 'R42', sendStatus: false });
  });
  it('decodes the 0900 intermediate messages from their bytes: 81 is "enter PIN", 82 "sending to the authoriser"', () => {
    // STX "0900|81" ETX LRC, LRC = XOR of "0900|81" and ETX.
    const enterPin = Uint8Array.of(0x02, 0x30, 0x39, 0x30, 0x30, 0x7c, 0x38, 0x31, 0x03, 0x7f);
    expect(encodeStxFrame(latin1(encodeStatusMessage('81')))).toEqual(enterPin);
    const items = new StxFrameReader().push(Uint8Array.of(...enterPin, 0x02, ...latin1('0900|82'), 0x03, 0x7c));
    expect(items.map((i) => (i.type === 'frame' ? decodeStatusMessage(fromLatin1(i.data)) : i.type))).toEqual([
      { code: 'ENTER_PIN', terminalCode: '81' },
      { code: 'AUTHORIZING', terminalCode: '82' },
    ]);
    expect(decodeStatusMessage('0900|78')).toEqual({ code: 'INSERT_CARD', terminalCode: '78' });
    expect(decodeStatusMessage('0900|79')).toEqual({ code: 'CONFIRM_AMOUNT', terminalCode: '79' });
    expect(decodeStatusMessage('0900|83|')).toEqual({ code: 'SELECT_ACCOUNT', terminalCode: '83' });
    expect(decodeStatusMessage('0900|93')).toEqual({ code: 'TERMINAL_BUSY', terminalCode: '93' });
    expect(() => decodeStatusMessage('0900|')).toThrow(ProtocolError);
    expect(() => decodeStatusMessage('0210|00')).toThrow(expect.objectContaining({ code: 'UNKNOWN_COMMAND' }));
  });
  it('round-trips sale and last-sale answers', () => {
    const arb = fc.record({
      responseCode: fc.constantFrom('00', '01', '07'),
      commerceCode: fc.stringMatching(/^\d{12}$/),
      terminalId: fc.stringMatching(/^\d{8}$/),
      ticket: fc.stringMatching(/^[A-Z0-9]{1,6}$/),
      authCode: fc.stringMatching(/^[A-Z0-9]{0,6}$/),
      amount_minor: fc.integer({ min: 1, max: 999_999_999 }),
      last4: fc.stringMatching(/^\d{4}$/),
      operation: fc.stringMatching(/^\d{1,6}$/),
      cardType: fc.constantFrom('CR', 'DB'),
      cardBrand: fc.constantFrom('UP', 'VI', 'MC'),
      date: fc.stringMatching(/^\d{6}$/),
      time: fc.stringMatching(/^\d{6}$/),
    });
    fc.assert(
      fc.property(arb, fc.constantFrom('0210' as const, '0260' as const), (a: PipeSaleAnswer, cmd) => {
        expect(decodeSaleAnswer(encodeSaleAnswer(cmd, a))).toEqual({ ...a, command: cmd });
      }),
    );
    const refund = { responseCode: '00', commerceCode: '597000000001', terminalId: '12345678', authCode: 'A1', operation: '17' };
    expect(decodeRefundAnswer(encodeRefundAnswer(refund))).toEqual(refund);
  });
  it('fuzz: truncated and random answers give a ProtocolError, never a crash', () => {
    const full = encodeSaleAnswer('0210', {
      responseCode: '00', commerceCode: '1', terminalId: '2', ticket: 'T', authCode: 'A', amount_minor: 5, last4: '1234', operation: '9', cardType: 'CR', cardBrand: 'UP', date: '010125', time: '101010',
    });
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 80 }), fc.nat(full.length).map((n) => full.slice(0, n))), (s) => {
        try {
          decodeSaleAnswer(s);
        } catch (e) {
          expect(e).toBeInstanceOf(ProtocolError);
        }
      }),
    );
    expect(fromLatin1(latin1('x'))).toBe('x');
  });
});
