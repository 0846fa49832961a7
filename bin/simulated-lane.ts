import { createDeviceFactory } from '../drivers';
import { VirtualDevices } from '../fixtures/simulators/virtual-devices';

/** Key of the demo chain's MIFARE identity blocks (a real chain keeps its own secret in its devices setup). */
export const DEMO_CARD_CHAIN_KEY = new TextEncoder().encode('onecard-demo-chain-key');

/**
 * A whole simulated lane (scanner, card readers, printer, drawer, bank terminal) in this process,
 * as startTerminal's `devices`: what a terminal runs without a devices.json. The terminal never
 * imports fixtures; this composition root does.
 */
export function simulatedLane(dataDir: string, chainKey: Uint8Array = DEMO_CARD_CHAIN_KEY) {
  const lane = new VirtualDevices(chainKey);
  return { config: lane.config, factory: createDeviceFactory({ simulators: lane.transports, chainKey, dataDir }), panel: lane, chainKey };
}
