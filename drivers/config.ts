import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { scaleLabelLayoutSchema, scaleLabelLayoutsSchema } from '../protocols/barcode/scale-layouts';
import { DeviceError } from './errors';

const hexKey = z.string().regex(/^[0-9a-fA-F]{12}$/, 'a MIFARE key is 12 hex digits (6 bytes)');
const name = z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'device names are lowercase letters, digits and dashes');

const serialTransport = z.object({
  type: z.literal('serial'),
  path: z.string().min(1),
  baudRate: z.number().int().positive().default(9600),
  dataBits: z.union([z.literal(7), z.literal(8)]).default(8),
  parity: z.enum(['none', 'even', 'odd']).default('none'),
  stopBits: z.union([z.literal(1), z.literal(2)]).default(1),
});
const hidTransport = z.union([
  z.object({ type: z.literal('hid'), path: z.string().min(1) }),
  z.object({ type: z.literal('hid'), vendorId: z.number().int().min(0).max(0xffff), productId: z.number().int().min(0).max(0xffff) }),
]);
const usbTransport = z.object({
  type: z.literal('usb'),
  vendorId: z.number().int().min(0).max(0xffff),
  productId: z.number().int().min(0).max(0xffff),
  interfaceNumber: z.number().int().min(0).default(0),
  endpointOut: z.number().int().min(1).max(15).default(1),
  endpointIn: z.number().int().min(1).max(15).optional(),
});
const tcpTransport = z.object({
  type: z.literal('tcp'),
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535),
});
/** A simulated device in this process (the demo's default). */
const simulatorTransport = z.object({ type: z.literal('simulator'), id: z.string().min(1) });

export const transportSpecSchema = z.union([serialTransport, hidTransport, usbTransport, tcpTransport, simulatorTransport]);
export type TransportSpec = z.infer<typeof transportSpecSchema>;

const scanner = z.object({
  name,
  class: z.literal('scanner'),
  transport: transportSpecSchema,
  protocol: z.enum(['hid-keyboard', 'hid-pos', 'serial-lines']),
  /** The store's scale-label layout, or several (weight labels and price labels), tried in order. */
  variableMeasure: z.union([scaleLabelLayoutSchema, scaleLabelLayoutsSchema.min(1)]).optional(),
});
const memberCardReader = z.object({
  name,
  class: z.literal('member-card-reader'),
  transport: transportSpecSchema,
  protocol: z.enum(['pn532', 'id-wedge']),
  /** How a 125 kHz wedge reader prints the card number. */
  idFormat: z.enum(['decimal10', 'hex10']).default('decimal10'),
  /** Where the card's serial + HMAC block is, and its key (MIFARE Classic key A). */
  identityBlock: z.number().int().min(1).max(255).optional(),
  keyA: hexKey.optional(),
  poll_ms: z.number().int().min(50).max(5000).default(300),
});
const receiptPrinter = z.object({
  name,
  class: z.literal('receipt-printer'),
  transport: transportSpecSchema,
  widthChars: z.number().int().min(24).max(64).default(48),
  statusPoll_ms: z.number().int().min(100).max(60_000).default(2000),
});
const cashDrawer = z.object({
  name,
  class: z.literal('cash-drawer'),
  /** The receipt printer whose drawer port kicks this drawer. */
  printer: name,
  /** Drawer kick connector pin: 2 (ESC p 0) or 5 (ESC p 1). */
  pin: z.union([z.literal(2), z.literal(5)]).default(2),
  on_ms: z.number().int().min(2).max(510).default(100),
  off_ms: z.number().int().min(2).max(510).default(200),
});
const paymentTerminal = z.object({
  name,
  class: z.literal('payment-terminal'),
  transport: transportSpecSchema,
  protocol: z.enum(['concert', 'pipe-ecr']),
  posNumber: z.string().regex(/^\d{2}$/).default('01'),
  /** ISO 4217 numeric currency, e.g. "156" for CNY. */
  currency: z.string().regex(/^\d{3}$/).default('156'),
  response_timeout_ms: z.number().int().min(1000).max(600_000).default(120_000),
});

export const deviceEntrySchema = z.discriminatedUnion('class', [scanner, memberCardReader, receiptPrinter, cashDrawer, paymentTerminal]);
export type DeviceEntry = z.infer<typeof deviceEntrySchema>;
export type DeviceEntryOf<C extends DeviceEntry['class']> = Extract<DeviceEntry, { class: C }>;

export const devicesConfigSchema = z
  .object({
    version: z.literal(1),
    devices: z.array(deviceEntrySchema),
  })
  .superRefine((cfg, ctx) => {
    const seen = new Set<string>();
    cfg.devices.forEach((d, i) => {
      if (seen.has(d.name)) ctx.addIssue({ code: 'custom', path: ['devices', i, 'name'], message: `device name "${d.name}" is used twice` });
      seen.add(d.name);
    });
    cfg.devices.forEach((d, i) => {
      if (d.class !== 'cash-drawer') return;
      const p = cfg.devices.find((x) => x.name === d.printer);
      if (p?.class !== 'receipt-printer') {
        ctx.addIssue({ code: 'custom', path: ['devices', i, 'printer'], message: `cash drawer "${d.name}" names "${d.printer}", which is not a receipt printer in this file` });
      }
    });
  });
export type DevicesConfig = z.infer<typeof devicesConfigSchema>;

/** Validates parsed devices.json; the error lists every problem with its path. */
export function parseDevicesConfig(json: unknown, source = 'devices.json'): DevicesConfig {
  const r = devicesConfigSchema.safeParse(json);
  if (r.success) return r.data;
  const problems = r.error.issues.map((i) => `  ${i.path.join('.') || '(top)'}: ${i.message}`).join('\n');
  throw new DeviceError('ILLEGAL', `${source} is not valid:\n${problems}`);
}

/** Reads and validates a devices.json file. */
export async function loadDevicesConfig(path: string): Promise<DevicesConfig> {
  const text = await readFile(path, 'utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new DeviceError('ILLEGAL', `${path} is not JSON: ${(err as Error).message}`);
  }
  return parseDevicesConfig(json, path);
}

/** The validated devices.json at `path`, or undefined when there is none (the terminal then simulates devices). */
export async function loadDevicesConfigIfPresent(path: string): Promise<DevicesConfig | undefined> {
  try {
    return await loadDevicesConfig(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
