import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyScan } from './barcode/classify';
import { parseGs1 } from './barcode/gs1';
import { LineFramer } from './barcode/line-framer';
import { parseMemberQr } from './barcode/member-qr';
import { decodeConcertRequest, decodeConcertResponse } from './ecr/concert';
import { StxFrameReader } from './ecr/framing';
import { decodeCloseAnswer, decodePipe, decodeRefundAnswer, decodeSaleAnswer, decodeSaleRequest, decodeStatusMessage } from './ecr/pipe';
import { ProtocolError, fromLatin1 } from './errors';
import { EscPosDecoder } from './escpos/decode';
import { decodeAsb } from './escpos/status';
import { parseIdCard } from './hid/id-card';
import { BootKeyboardDecoder } from './hid/keyboard';
import { HidPosDecoder } from './hid/pos-scanner';
import { decodeValueBlock } from './mifare/value-block';
import { parseFirmwareVersion, parseInDataExchange, parseInListPassiveTarget } from './pn532/commands';
import { Pn532FrameReader } from './pn532/frame';

/** Every decoder fed with random bytes: it answers, or throws a ProtocolError; nothing else. */
const decoders: [string, (bytes: Uint8Array) => unknown][] = [
  ['classifyScan', (b) => classifyScan(fromLatin1(b))],
  ['parseGs1', (b) => parseGs1(fromLatin1(b))],
  ['parseMemberQr', (b) => parseMemberQr(fromLatin1(b))],
  ['LineFramer', (b) => new LineFramer(64).push(b)],
  ['parseIdCard decimal10', (b) => parseIdCard(fromLatin1(b), 'decimal10')],
  ['parseIdCard hex10', (b) => parseIdCard(fromLatin1(b), 'hex10')],
  ['BootKeyboardDecoder', (b) => new BootKeyboardDecoder().push(b)],
  ['HidPosDecoder', (b) => new HidPosDecoder().push(b)],
  ['Pn532FrameReader', (b) => new Pn532FrameReader(256).push(b)],
  ['parseFirmwareVersion', (b) => parseFirmwareVersion(b)],
  ['parseInListPassiveTarget', (b) => parseInListPassiveTarget(b)],
  ['parseInDataExchange', (b) => parseInDataExchange(b)],
  ['decodeValueBlock', (b) => decodeValueBlock(b)],
  ['EscPosDecoder', (b) => {
    const d = new EscPosDecoder(4096);
    return [...d.push(b), ...d.finish()];
  }],
  ['decodeAsb', (b) => decodeAsb(b)],
  ['StxFrameReader', (b) => new StxFrameReader(64).push(b)],
  ['decodeConcertRequest', (b) => decodeConcertRequest(fromLatin1(b))],
  ['decodeConcertResponse', (b) => decodeConcertResponse(fromLatin1(b))],
  ['decodePipe', (b) => decodePipe(fromLatin1(b))],
  ['decodeSaleAnswer', (b) => decodeSaleAnswer(fromLatin1(b))],
  ['decodeRefundAnswer', (b) => decodeRefundAnswer(fromLatin1(b))],
  ['decodeCloseAnswer', (b) => decodeCloseAnswer(fromLatin1(b))],
  ['decodeStatusMessage', (b) => decodeStatusMessage(fromLatin1(b))],
  ['decodeSaleRequest', (b) => decodeSaleRequest(fromLatin1(b))],
];

describe('fuzz: every decoder', () => {
  it.each(decoders)('%s returns or throws ProtocolError for random bytes', (_name, decode) => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.stringMatching(/^[\d|A-Z]{0,120}$/).map((s) => new TextEncoder().encode(s))), (bytes) => {
        try {
          decode(bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(ProtocolError);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('the ESC/POS decoder refuses to buffer an endless half command', () => {
    const d = new EscPosDecoder(1024);
    expect(() => {
      d.push(Uint8Array.of(0x1d, 0x76, 0x30, 0x00, 0xff, 0xff, 0xff, 0xff));
      for (let i = 0; i < 10; i++) d.push(new Uint8Array(200));
    }).toThrow(expect.objectContaining({ code: 'BAD_LENGTH' }));
  });
});
