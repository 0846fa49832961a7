import { describe, expect, it } from 'vitest';
import { Device, type StatusEvent } from './device';
import { DeviceError } from './errors';
import { createInProcessLink } from './transports/in-process';

class EchoDevice extends Device<string> {
  opens = 0;
  protected override async onOpen(): Promise<void> {
    this.opens++;
  }
  protected onBytes(chunk: Uint8Array): void {
    this.emitData(new TextDecoder().decode(chunk));
  }
}

const fastReopen = { reopen: { firstDelay_ms: 5, maxDelay_ms: 20 } };

describe('device lifecycle', () => {
  it('requires open → claim → enable in order, with ILLEGAL otherwise', async () => {
    const { transport } = createInProcessLink();
    const d = new EchoDevice('echo', 'scanner', transport, fastReopen);
    await expect(d.claim()).rejects.toMatchObject({ code: 'ILLEGAL' });
    await d.open();
    await expect(d.enable()).rejects.toMatchObject({ code: 'ILLEGAL' });
    await d.claim();
    await d.enable();
    expect(d.state).toBe('enabled');
    await d.disable();
    await d.release();
    await d.close();
    expect(d.state).toBe('closed');
    expect(d.health.health).toBe('not-started');
  });

  it('delivers data only while enabled', async () => {
    const { transport, peer } = createInProcessLink();
    const d = new EchoDevice('echo', 'scanner', transport, fastReopen);
    const got: string[] = [];
    d.on('data', (s) => got.push(s));
    await d.open();
    await d.claim();
    peer.send(new TextEncoder().encode('ignored'));
    await new Promise((r) => setTimeout(r, 0));
    await d.enable();
    const next = d.once('data');
    peer.send(new TextEncoder().encode('seen'));
    await next;
    expect(got).toEqual(['seen']);
    await d.close();
  });

  it('cannot open an unplugged device and says why', async () => {
    const { transport, peer } = createInProcessLink('sim scanner');
    peer.unplug();
    const d = new EchoDevice('front-scanner', 'scanner', transport, fastReopen);
    const err = await d.open().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeviceError);
    expect(err).toMatchObject({ code: 'NO_HARDWARE' });
    expect(d.health).toMatchObject({ health: 'not-started' });
    expect(d.health.detail).toContain('front-scanner');
  });

  it('goes offline when unplugged and comes back enabled when plugged in again', async () => {
    const { transport, peer } = createInProcessLink();
    const d = new EchoDevice('echo', 'scanner', transport, fastReopen);
    const statuses: StatusEvent['code'][] = [];
    d.on('status', (s) => statuses.push(s.code));
    await d.start();
    const offline = d.once('error', (e) => e.code === 'OFFLINE');
    peer.unplug();
    await offline;
    expect(d.health.health).toBe('offline');
    const online = d.once('status', (s) => s.code === 'online');
    peer.plugIn();
    await online;
    expect(d.health.health).toBe('ok');
    expect(d.state).toBe('enabled');
    expect(d.opens).toBeGreaterThanOrEqual(2);
    const data = d.once('data');
    peer.send(new TextEncoder().encode('after'));
    expect(await data).toBe('after');
    expect(statuses).toContain('offline');
    await d.close();
  });
});
