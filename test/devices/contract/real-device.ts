import { loadDevicesConfig, type DeviceEntry } from '../../../drivers/config';
import type { Device } from '../../../drivers/device';
import { createDeviceFactory } from '../../../drivers/factory';
import { DeviceManager } from '../../../drivers/manager';

/**
 * Contract suites run against the simulator always, and against a real device when its
 * environment variable names a device of ONECARD_DEVICES (a devices.json). Real-device runs
 * ask the technician to act (scan, present a card, open the cover) and wait for it.
 */
export const REAL_TIMEOUT_MS = Number(process.env.ONECARD_TEST_TIMEOUT_MS ?? 120_000);

/** The device name an env var gives, or undefined when no real device is configured. */
export function realDeviceName(envVar: string): string | undefined {
  const name = process.env[envVar];
  if (!name) return undefined;
  if (!process.env.ONECARD_DEVICES) throw new Error(`${envVar} is set but ONECARD_DEVICES (the devices.json path) is not`);
  return name;
}

/** Starts the named device (and the printer of a cash drawer) from ONECARD_DEVICES. */
export async function startRealDevice<D extends Device<unknown>>(name: string): Promise<{ device: D; manager: DeviceManager; entry: DeviceEntry }> {
  const config = await loadDevicesConfig(process.env.ONECARD_DEVICES!);
  const entry = config.devices.find((d) => d.name === name);
  if (!entry) throw new Error(`no device named "${name}" in ${process.env.ONECARD_DEVICES}`);
  const needed = config.devices.filter((d) => d.name === name || (entry.class === 'cash-drawer' && d.name === entry.printer));
  const manager = new DeviceManager({ ...config, devices: needed }, createDeviceFactory());
  const health = await manager.startAll();
  const bad = health.find((h) => h.health === 'not-started' || h.health === 'offline');
  if (bad) {
    await manager.stopAll();
    throw new Error(bad.detail);
  }
  return { device: manager.get<D>(name)!, manager, entry };
}

/** Tells the technician what to do now. */
export function ask(what: string): void {
  console.log(`\n>>> [device contract] ${what}\n`);
}
