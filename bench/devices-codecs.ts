/**
 * Device codec benchmark: decoding a day's worth of receipts (ESC/POS, GB18030 text) and PN532
 * frames, as MB/s and as a ratio to the bare minimum work on the same bytes measured in the same
 * run (a GB18030 TextDecoder pass over the receipts; a byte-sum over the frames).
 * Run alone with `node --import tsx bench/devices-codecs.ts`.
 */
import { pathToFileURL } from 'node:url';
import iconv from 'iconv-lite';
import * as cmd from '../protocols/escpos/commands';
import { EscPosDecoder } from '../protocols/escpos/decode';
import { concatBytes } from '../protocols/errors';
import { Pn532FrameReader, TFI_PN532, encodeFrame } from '../protocols/pn532/frame';

function receipts(n: number): Uint8Array {
  const parts: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    parts.push(cmd.init(), cmd.kanjiOn(), cmd.align('center'), cmd.bold(true));
    parts.push(new Uint8Array(iconv.encode(`一卡通会员店 OneCard Store No.${i}\n`, 'gb18030')), cmd.bold(false), cmd.align('left'));
    for (let l = 0; l < 12; l++) parts.push(new Uint8Array(iconv.encode(`苹果 Apple x${l}            ￥${l}.50\n`, 'gb18030')));
    parts.push(cmd.qrCode(new TextEncoder().encode(`https://onecard.example/r/${i}`)), cmd.feed(3), cmd.cut(true));
  }
  return concatBytes(...parts);
}

function frames(n: number): Uint8Array {
  const parts: Uint8Array[] = [];
  for (let i = 0; i < n; i++) parts.push(encodeFrame(TFI_PN532, Uint8Array.from({ length: 18 }, (_, k) => (i + k) & 0xff)));
  return concatBytes(...parts);
}

function time(fn: () => void, rounds: number): number {
  fn(); // warm-up
  const start = process.hrtime.bigint();
  for (let r = 0; r < rounds; r++) fn();
  return Number(process.hrtime.bigint() - start) / 1e6 / rounds;
}

function chunked(bytes: Uint8Array, size: number, push: (c: Uint8Array) => void): void {
  for (let o = 0; o < bytes.length; o += size) push(bytes.subarray(o, o + size));
}

export async function benchDeviceCodecs(): Promise<void> {
  const r = receipts(500);
  const gb = new TextDecoder('gb18030');
  const refReceipt_ms = time(() => void gb.decode(r), 5);
  const escpos_ms = time(() => {
    const d = new EscPosDecoder(1 << 22);
    chunked(r, 1460, (c) => d.push(c)); // TCP-sized chunks
    d.finish();
  }, 5);
  const mb = r.length / 1e6;
  console.log(`ESC/POS decode: ${(mb / (escpos_ms / 1000)).toFixed(1)} MB/s (${r.length} bytes, 500 receipts); ${(escpos_ms / refReceipt_ms).toFixed(1)}x a bare GB18030 decode of the same bytes`);

  const f = frames(20_000);
  const refFrames_ms = time(() => {
    let s = 0;
    for (const b of f) s = (s + b) & 0xff;
    if (s < 0) throw new Error('unreachable');
  }, 5);
  const pn532_ms = time(() => {
    const reader = new Pn532FrameReader(1 << 16);
    chunked(f, 64, (c) => void reader.push(c)); // serial-sized reads
  }, 5);
  console.log(`PN532 frames: ${((20_000 * 1000) / pn532_ms).toFixed(0)} frames/s; ${(pn532_ms / refFrames_ms).toFixed(1)}x a byte-sum over the same bytes`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchDeviceCodecs();
}
