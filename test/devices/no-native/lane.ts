// Starts a simulated lane plus one real serial device, on a machine without native packages,
// and prints the health of every device as JSON.
import { createDeviceFactory } from '../../../drivers/factory';
import { DeviceManager } from '../../../drivers/manager';
import { parseDevicesConfig } from '../../../drivers/config';
import { VirtualDevices } from '../../../fixtures/simulators/virtual-devices';

const lane = new VirtualDevices(new TextEncoder().encode('k'));
const config = parseDevicesConfig({
  version: 1,
  devices: [...lane.config.devices, { name: 'real-reader', class: 'member-card-reader', transport: { type: 'serial', path: '/dev/ttyUSB9' }, protocol: 'pn532' }],
});
const manager = new DeviceManager(config, createDeviceFactory({ simulators: lane.transports }));
const health = await manager.startAll();
const scan = manager.once('data', (e) => e.device === 'scanner');
lane.scan('6901234567892');
await scan;
console.log(JSON.stringify(health.map((h) => ({ name: h.name, health: h.health, detail: h.detail }))));
await manager.stopAll();
