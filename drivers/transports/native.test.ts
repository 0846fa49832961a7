import { describe, expect, it } from 'vitest';
import { loadNative } from './load-native';
import { UsbTransport } from './usb';
import { HidTransport } from './hid';
import { SerialTransport } from './serial';

describe('native transports', () => {
  it('a missing driver package gives NO_SERVICE naming the package and the device', async () => {
    const err = await loadNative('node-hid', () => Promise.reject(new Error('Cannot find module')), 'hid 0c2e:0b61').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'NO_SERVICE' });
    expect((err as Error).message).toContain('"node-hid"');
    expect((err as Error).message).toContain('hid 0c2e:0b61');
  });

  it('usb on a machine without /sys/bus/usb fails with NO_HARDWARE and a clear message, not a crash', async () => {
    const t = new UsbTransport({ vendorId: 0x04b8, productId: 0x0202 });
    const err = await t.open().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'NO_HARDWARE' });
    expect((err as Error).message).toMatch(/usb 04b8:0202/);
    expect(t.isOpen).toBe(false);
  });

  it('hid for a device that is not there fails with NO_HARDWARE', async () => {
    const err = await new HidTransport({ vendorId: 0xfffe, productId: 0xfffe }).open().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'NO_HARDWARE' });
  });

  it('serial for a path that does not exist fails with NO_HARDWARE', async () => {
    const err = await new SerialTransport({ path: '/dev/does-not-exist-onecard', baudRate: 9600 }).open().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'NO_HARDWARE' });
  });
});
