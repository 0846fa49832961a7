import { describe, expect, it } from 'vitest';
import { IdWedgeSimulator } from '../../fixtures/simulators/id-wedge';
import { encodeKeyboardText } from '../../protocols/hid/keyboard';
import { createInProcessLink } from '../transports/in-process';
import { IdWedgeReader } from './id-wedge-reader';

describe('125 kHz keyboard-wedge reader', () => {
  it.each(['decimal10', 'hex10'] as const)('reads a swiped card in %s output', async (format) => {
    const { transport, peer } = createInProcessLink();
    const reader = new IdWedgeReader('id-reader', transport, format);
    await reader.start();
    const card = reader.once('data');
    new IdWedgeSimulator(peer, format).swipe(12345678, 0x1a);
    expect(await card).toEqual({ uid: '00BC614E', technology: 'em4100' });
    await reader.close();
  });
  it('a reader set to the wrong output format reports a PROTOCOL error naming the setting', async () => {
    const { transport, peer } = createInProcessLink();
    const reader = new IdWedgeReader('id-reader', transport, 'decimal10');
    await reader.start();
    const err = reader.once('error');
    for (const r of encodeKeyboardText('1A00BC614E')) peer.send(r);
    expect((await err).message).toContain('decimal10');
    await reader.close();
  });
});
