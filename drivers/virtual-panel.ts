/**
 * What a "virtual devices" panel in the cashier UI can do to simulated devices. The demo's
 * composition root (bin/) builds the simulators from fixtures/simulators and hands the terminal
 * this interface, so terminal/ never imports fixtures.
 */
export type SimulatedPaymentAnswer = 'approve' | 'decline' | 'no-answer' | 'lose-answer' | 'charge-other-amount';

export interface VirtualDevicesSnapshot {
  readonly printer: { readonly paperEmpty: boolean; readonly coverOpen: boolean; readonly receiptsPrinted: number; readonly lastReceipt: string[] };
  readonly cardOnReader: boolean;
  readonly bankCharged_minor: number;
  /** Simulator ids whose "cable" is pulled. */
  readonly unplugged: string[];
}

export interface VirtualDevicePanel {
  scan(code: string): void;
  /** Puts an issued OneCard MIFARE card on the reader. */
  presentCard(uidHex: string, serial: number, valueBlock?: { block: number; value: number }): void;
  /** Puts a card with a copied UID but no valid identity block on the reader. */
  presentClonedCard(uidHex: string): void;
  removeCard(): void;
  swipeIdCard(id32: number): void;
  paperOut(): void;
  loadPaper(): void;
  openCover(): void;
  closeCover(): void;
  nextPayment(...outcomes: SimulatedPaymentAnswer[]): void;
  unplug(id: string): void;
  plugIn(id: string): void;
  snapshot(): VirtualDevicesSnapshot;
}
