// Module hooks that make serialport, node-hid and usb impossible to load, like a machine where
// their native builds are missing.
import { register } from 'node:module';

register(
  'data:text/javascript,' +
    encodeURIComponent(`
export async function resolve(specifier, context, next) {
  if (/^(serialport|node-hid|usb)$/.test(specifier) || /^@serialport\\//.test(specifier)) {
    throw new Error('native module ' + specifier + ' is not installed on this machine');
  }
  return next(specifier, context);
}`),
  import.meta.url,
);
