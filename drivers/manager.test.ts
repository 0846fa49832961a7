import { describe, expect, it } from 'vitest';
import { ScannerSimulator } from '../fixtures/simulators/scanner';
import { parseDevicesConfig } from './config';
import type { DeviceHealth } from './device';
import { DeviceError } from './errors';
import { DeviceManager } from './manager';
import { Scanner } from './scanner/scanner';
import { createTransport } from './transports/create';
import { createInProcessLink } from './transports/in-process';

const reopen = { firstDelay_ms: 5, maxDelay_ms: 20 };

describe('DeviceManager', () => {
  it('starts what it can, reports what it cannot with the reason, and keeps the others running', async () => {
    const front = createInProcessLink('sim front');
    const config = parseDevicesConfig({
      version: 1,
      devices: [
        { name: 'front', class: 'scanner', transport: { type: 'simulator', id: 'front' }, protocol: 'serial-lines' },
        { name: 'back', class: 'scanner', transport: { type: 'usb', vendorId: 1, productId: 2 }, protocol: 'hid-pos' },
      ],
    });
    const m = new DeviceManager(
      config,
      (e) => {
        if (e.class !== 'scanner') throw new DeviceError('ILLEGAL', 'unexpected');
        return new Scanner(e.name, createTransport(e.transport, new Map([['front', front.transport]])), e.protocol, [], { reopen });
      },
      { reopen },
    );
    const health = await m.startAll();
    expect(health.find((h) => h.name === 'front')).toMatchObject({ health: 'ok', state: 'enabled' });
    const back = health.find((h) => h.name === 'back')!;
    expect(back.health).toBe('not-started');
    expect(back.detail).toMatch(/back could not start: .*usb 0001:0002/);
    const data = m.once('data');
    new ScannerSimulator(front.peer, 'serial-lines').scan('6901234567892');
    expect(await data).toMatchObject({ device: 'front', data: { text: '6901234567892' } });
    await m.stopAll();
  });

  it('retries a device that was not plugged in at start and brings it up when it appears', async () => {
    const link = createInProcessLink('sim late');
    link.peer.unplug();
    const config = parseDevicesConfig({
      version: 1,
      devices: [{ name: 'late', class: 'scanner', transport: { type: 'simulator', id: 'late' }, protocol: 'serial-lines' }],
    });
    const m = new DeviceManager(config, (e) => new Scanner(e.name, link.transport, 'serial-lines', [], { reopen }), { reopen });
    const [first] = await m.startAll();
    expect(first).toMatchObject({ health: 'not-started' });
    const up = m.once('health', (h: DeviceHealth) => h.name === 'late' && h.health === 'ok' && h.state === 'enabled');
    link.peer.plugIn();
    await up;
    expect(m.health()[0]).toMatchObject({ state: 'enabled', health: 'ok' });
    await m.stopAll();
  });
});
