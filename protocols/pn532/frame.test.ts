import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtocolError, concatBytes, fromHex, toHex } from '../errors';
import { Cmd, encodeInListPassiveTarget, parseFirmwareVersion, parseInListPassiveTarget } from './commands';
import { ACK_FRAME, HSU_WAKEUP, NACK_FRAME, Pn532FrameReader, TFI_HOST, encodeCommand, encodeFrame, encodeResponse } from './frame';

describe('PN532 HSU frames', () => {
  it('encodes GetFirmwareVersion as in the user manual: 00 00 FF 02 FE D4 02 2A 00', () => {
    expect(toHex(encodeCommand(Cmd.GetFirmwareVersion))).toBe('00 00 ff 02 fe d4 02 2a 00');
  });
  it('decodes the manual\'s firmware answer D5 03 32 01 06 07 (PN532 v1.6)', () => {
    const items = new Pn532FrameReader().push(fromHex('00 00 FF 00 FF 00 00 00 FF 06 FA D5 03 32 01 06 07 E8 00'));
    expect(items[0]).toEqual({ type: 'ack' });
    const f = items[1]!;
    expect(f.type).toBe('frame');
    if (f.type !== 'frame') return;
    expect(f.code).toBe(0x03);
    expect(parseFirmwareVersion(f.params)).toEqual({ ic: 0x32, version: 1, revision: 6, support: 7 });
  });
  it('recognises ACK, NACK and skips the HSU wake-up preamble', () => {
    const r = new Pn532FrameReader();
    expect(r.push(concatBytes(HSU_WAKEUP, ACK_FRAME, NACK_FRAME))).toEqual([{ type: 'ack' }, { type: 'nack' }]);
  });
  it('waits for the rest of a frame split across reads', () => {
    const r = new Pn532FrameReader();
    const f = encodeResponse(Cmd.InListPassiveTarget, [0]);
    expect(r.push(f.subarray(0, 5))).toEqual([]);
    expect(r.push(f.subarray(5))).toMatchObject([{ type: 'frame', code: 0x4b }]);
  });
  it('reports a wrong data checksum and resynchronises on the next frame', () => {
    const bad = encodeCommand(Cmd.GetFirmwareVersion);
    bad[7] = bad[7]! ^ 0xff;
    const items = new Pn532FrameReader().push(concatBytes(bad, ACK_FRAME));
    expect(items[0]).toMatchObject({ type: 'bad', error: { code: 'BAD_CHECKSUM' } });
    expect(items.at(-1)).toEqual({ type: 'ack' });
  });
  it('reports a wrong length checksum', () => {
    expect(new Pn532FrameReader().push(fromHex('00 00 FF 02 FD D4 02 2A 00'))[0]).toMatchObject({ type: 'bad', error: { code: 'BAD_CHECKSUM' } });
  });
  it('round-trips normal and extended frames of any payload', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 264 }), fc.array(fc.nat(30), { maxLength: 5 }), (data, cuts) => {
        const bytes = encodeFrame(TFI_HOST, data);
        const r = new Pn532FrameReader();
        const items = [];
        let pos = 0;
        for (const c of cuts) {
          items.push(...r.push(bytes.subarray(pos, pos + c)));
          pos = Math.min(bytes.length, pos + c);
        }
        items.push(...r.push(bytes.subarray(pos)));
        expect(items).toHaveLength(1);
        const f = items[0]!;
        expect(f).toEqual({ type: 'frame', tfi: TFI_HOST, code: data[0], params: data.slice(1) });
      }),
    );
  });
  it('fuzz: random bytes, truncated and corrupted frames give items or nothing, never a throw or an unbounded buffer', () => {
    const frame = fc.uint8Array({ minLength: 2, maxLength: 40 }).map((d) => encodeFrame(TFI_HOST, d));
    const mangled = fc.tuple(frame, fc.nat(60), fc.nat(255)).map(([f, i, x]) => {
      const g = f.slice(0, Math.max(1, f.length - (i % 4)));
      g[i % g.length] = g[i % g.length]! ^ x;
      return g;
    });
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.uint8Array({ maxLength: 50 }), frame, mangled), { maxLength: 20 }), (chunks) => {
        const r = new Pn532FrameReader(512);
        for (const c of chunks) {
          for (const item of r.push(c)) if (item.type === 'bad') expect(item.error).toBeInstanceOf(ProtocolError);
          expect(r.buffered).toBeLessThanOrEqual(512);
        }
      }),
    );
  });
});

describe('InListPassiveTarget', () => {
  it('parses a MIFARE Classic 1K target', () => {
    const params = fromHex('01 01 00 04 08 04 DE AD BE EF');
    expect(parseInListPassiveTarget(params)).toEqual([{ tg: 1, sensRes: 0x0004, selRes: 0x08, uid: fromHex('DEADBEEF') }]);
  });
  it('round-trips targets', () => {
    fc.assert(
      fc.property(fc.constantFrom(4, 7, 10), fc.uint8Array({ minLength: 10, maxLength: 10 }), (n, uid) => {
        const t = { tg: 1, sensRes: 4, selRes: 8, uid: uid.slice(0, n) };
        expect(parseInListPassiveTarget(encodeInListPassiveTarget([t]))).toEqual([t]);
      }),
    );
  });
  it('fuzz: truncated or random answers throw ProtocolError only', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 30 }), (p) => {
        try {
          parseInListPassiveTarget(p);
        } catch (e) {
          expect(e).toBeInstanceOf(ProtocolError);
        }
      }),
    );
  });
});
