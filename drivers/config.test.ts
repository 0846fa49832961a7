import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDevicesConfigIfPresent, parseDevicesConfig } from './config';

describe('devices.json', () => {
  it('accepts a store configuration and fills defaults', () => {
    const cfg = parseDevicesConfig({
      version: 1,
      devices: [
        { name: 'scanner', class: 'scanner', transport: { type: 'hid', vendorId: 0x0c2e, productId: 0x0b61 }, protocol: 'hid-pos' },
        { name: 'reader', class: 'member-card-reader', transport: { type: 'serial', path: '/dev/ttyUSB0', baudRate: 115200 }, protocol: 'pn532' },
        { name: 'printer', class: 'receipt-printer', transport: { type: 'tcp', host: '192.168.1.50', port: 9100 } },
        { name: 'drawer', class: 'cash-drawer', printer: 'printer' },
        { name: 'bank-pos', class: 'payment-terminal', transport: { type: 'serial', path: '/dev/ttyS0' }, protocol: 'pipe-ecr' },
      ],
    });
    expect(cfg.devices[2]).toMatchObject({ widthChars: 48 });
    expect(cfg.devices[3]).toMatchObject({ pin: 2, on_ms: 100, off_ms: 200 });
    expect(cfg.devices[4]).toMatchObject({ transport: { baudRate: 9600, parity: 'none' }, currency: '156' });
  });

  it('lists every problem with its path', () => {
    let message = '';
    try {
      parseDevicesConfig({
        version: 1,
        devices: [
          { name: 'p', class: 'receipt-printer', transport: { type: 'tcp', host: 'x', port: 70000 } },
          { name: 'p', class: 'cash-drawer', printer: 'nope' },
          { name: 'r', class: 'member-card-reader', transport: { type: 'serial', path: '/dev/x' }, protocol: 'pn532', keyA: 'zz' },
        ],
      });
    } catch (e) {
      expect(e).toMatchObject({ code: 'ILLEGAL' });
      message = (e as Error).message;
    }
    expect(message).toContain('devices.0.transport');
    expect(message).toContain('used twice');
    expect(message).toContain('not a receipt printer');
    expect(message).toContain('devices.2.keyA');
  });

  it('a scanner layout the label decoder cannot read is refused at load, with its sum', () => {
    const scanner = (variableMeasure: unknown) => ({ version: 1, devices: [{ name: 'scanner', class: 'scanner', transport: { type: 'tcp', host: 'x', port: 9000 }, protocol: 'serial-lines', variableMeasure }] });
    const weight14 = { prefixes: ['28'], itemDigits: 6, value: 'weight', valueDigits: 4, valueCheckDigit: true };
    expect(() => parseDevicesConfig(scanner(weight14))).toThrow('devices.0.variableMeasure: variable-measure layout with prefix "28" adds up to 14 digits, not 13');
    expect(() => parseDevicesConfig(scanner([{ ...weight14, itemDigits: 5 }, weight14]))).toThrow('devices.0.variableMeasure.1: variable-measure layout with prefix "28" adds up to 14 digits, not 13');
  });

  it('a missing file means "simulate"; a broken one is an error naming the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'onecard-devices-'));
    expect(await loadDevicesConfigIfPresent(join(dir, 'devices.json'))).toBeUndefined();
    writeFileSync(join(dir, 'devices.json'), '{ "version": 1, ');
    await expect(loadDevicesConfigIfPresent(join(dir, 'devices.json'))).rejects.toThrow(/devices\.json is not JSON/);
    writeFileSync(join(dir, 'devices.json'), JSON.stringify({ version: 1, devices: [] }));
    expect(await loadDevicesConfigIfPresent(join(dir, 'devices.json'))).toEqual({ version: 1, devices: [] });
    rmSync(dir, { recursive: true, force: true });
  });
});
