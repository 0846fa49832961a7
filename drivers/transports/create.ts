import type { TransportSpec } from '../config';
import { DeviceError } from '../errors';
import type { Transport } from '../transport';
import { HidTransport } from './hid';
import { SerialTransport } from './serial';
import { TcpTransport } from './tcp';
import { UsbTransport } from './usb';

/**
 * Builds the transport a config entry names. Native packages load only when the transport opens.
 * `simulators` maps simulator ids to in-process transports the composition root created.
 */
export function createTransport(spec: TransportSpec, simulators: ReadonlyMap<string, Transport> = new Map()): Transport {
  switch (spec.type) {
    case 'serial':
      return new SerialTransport(spec);
    case 'tcp':
      return new TcpTransport(spec);
    case 'hid':
      return new HidTransport('path' in spec ? { path: spec.path } : { vendorId: spec.vendorId, productId: spec.productId });
    case 'usb':
      return new UsbTransport(spec);
    case 'simulator': {
      const t = simulators.get(spec.id);
      if (!t) throw new DeviceError('NO_HARDWARE', `no simulator named "${spec.id}" is running`);
      return t;
    }
  }
}
