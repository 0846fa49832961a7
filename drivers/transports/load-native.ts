import { DeviceError } from '../errors';

/**
 * Loads a native device package only when a configured device needs it, so a machine without
 * it still runs, and the error names the package and the device.
 */
export async function loadNative<T>(pkg: 'serialport' | 'node-hid' | 'usb', importer: () => Promise<T>, forWhat: string): Promise<T> {
  try {
    return await importer();
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new DeviceError(
      'NO_SERVICE',
      `${forWhat} needs the "${pkg}" package, which could not be loaded (${why}); run "npm install" on this machine`,
      undefined,
      { cause: err },
    );
  }
}
