import type { HmacFn } from '../../protocols/crypto/sha1';
import { encodeIdentityBlock, verifyIdentityBlock } from '../../protocols/mifare/card-identity';
import { decodeValueBlock } from '../../protocols/mifare/value-block';
import {
  Cmd,
  type FirmwareVersion,
  Mifare,
  type PassiveTarget,
  describeStatus,
  mifareAuth,
  parseFirmwareVersion,
  parseInDataExchange,
  parseInListPassiveTarget,
  valueOperand,
} from '../../protocols/pn532/commands';
import { HSU_WAKEUP, NACK_FRAME, type Pn532Item, Pn532FrameReader, TFI_PN532, encodeCommand } from '../../protocols/pn532/frame';
import { Device, type DeviceOptions } from '../device';
import { DeviceError, asDeviceError } from '../errors';
import type { Transport } from '../transport';
import { type CardPresented, uidHex } from './card';

export interface Pn532ReaderOptions extends DeviceOptions {
  readonly poll_ms?: number;
  readonly ackTimeout_ms?: number;
  readonly responseTimeout_ms?: number;
  /** Read and check the identity block of each card presented. */
  readonly identity?: { readonly block: number; readonly keyA: Uint8Array; readonly chainKey: Uint8Array; readonly hmac?: HmacFn };
}

const RETRIES = 3;

/**
 * A 13.56 MHz MIFARE reader built on an NXP PN532 in HSU (serial) mode. It polls for a card,
 * reports each new card once, and reads/writes blocks and value blocks on request.
 */
export class Pn532Reader extends Device<CardPresented> {
  private frames = new Pn532FrameReader();
  private inbox: Pn532Item[] = [];
  private wake: (() => void) | undefined;
  private linkError: DeviceError | undefined;
  private lock: Promise<unknown> = Promise.resolve();
  private current: PassiveTarget | undefined;
  private pollTimer: unknown;
  private polling = false;
  private firmwareVersion: FirmwareVersion | undefined;
  private readonly poll_ms: number;
  private readonly ackTimeout_ms: number;
  private readonly responseTimeout_ms: number;

  constructor(
    name: string,
    transport: Transport,
    private readonly options: Pn532ReaderOptions = {},
  ) {
    super(name, 'member-card-reader', transport, options);
    this.poll_ms = options.poll_ms ?? 300;
    this.ackTimeout_ms = options.ackTimeout_ms ?? 500;
    this.responseTimeout_ms = options.responseTimeout_ms ?? 1000;
  }

  get firmware(): FirmwareVersion | undefined {
    return this.firmwareVersion;
  }

  /** UID of the card in the field, if any. */
  get cardPresent(): string | undefined {
    return this.current ? uidHex(this.current.uid) : undefined;
  }

  protected override async onOpen(): Promise<void> {
    this.frames = new Pn532FrameReader();
    this.inbox = [];
    this.linkError = undefined;
    this.current = undefined;
    await this.transport.write(HSU_WAKEUP);
    await this.locked(async () => {
      // SAM normal mode, no timeout, IRQ used: required first command after HSU wake-up.
      await this.transact(Cmd.SAMConfiguration, [0x01, 0x14, 0x01]);
      this.firmwareVersion = parseFirmwareVersion(await this.transact(Cmd.GetFirmwareVersion, []));
      // MxRtyPassiveActivation = 2: InListPassiveTarget returns at once when no card is there.
      await this.transact(Cmd.RFConfiguration, [0x05, 0xff, 0x01, 0x02]);
    });
  }

  protected override async onEnable(): Promise<void> {
    this.polling = true;
    this.schedulePoll(0);
  }

  protected override async onDisable(): Promise<void> {
    this.stopPolling();
  }

  protected override async onClose(): Promise<void> {
    this.stopPolling();
    this.failWaiter(new DeviceError('CLOSED', `${this.name} was closed`, this.name));
  }

  protected override onLinkLost(cause: DeviceError): void {
    this.stopPolling();
    this.current = undefined;
    this.failWaiter(cause);
  }

  protected onBytes(chunk: Uint8Array): void {
    const items = this.frames.push(chunk);
    if (items.length === 0) return;
    this.inbox.push(...items);
    if (this.inbox.length > 64) this.inbox.splice(0, this.inbox.length - 64);
    this.wake?.();
  }

  // ---- card operations ----------------------------------------------------------------------

  /** Reads a 16-byte block of the card in the field, authenticating with key A. */
  async readBlock(block: number, keyA: Uint8Array): Promise<Uint8Array> {
    this.requireEnabled('read a card');
    return this.locked(async () => {
      const uid = this.requireCard();
      await this.exchange(mifareAuth(block, keyA, uid));
      const data = await this.exchange([1, Mifare.Read, block]);
      if (data.length !== 16) throw new DeviceError('PROTOCOL', `${this.name}: block read returned ${data.length} bytes`, this.name);
      return data;
    });
  }

  async writeBlock(block: number, data: Uint8Array, keyA: Uint8Array): Promise<void> {
    this.requireEnabled('write a card');
    if (data.length !== 16) throw new DeviceError('ILLEGAL', `a MIFARE block is 16 bytes, got ${data.length}`, this.name);
    if (block === 0 || block % 4 === 3) throw new DeviceError('ILLEGAL', `block ${block} is the manufacturer block or a sector trailer`, this.name);
    await this.locked(async () => {
      const uid = this.requireCard();
      await this.exchange(mifareAuth(block, keyA, uid));
      await this.exchange([1, Mifare.Write, block, ...data]);
    });
  }

  /** Reads a value block (e.g. an on-card points or stored-value counter). */
  async readValue(block: number, keyA: Uint8Array): Promise<number> {
    const data = await this.readBlock(block, keyA);
    try {
      return decodeValueBlock(data).value;
    } catch (err) {
      throw asDeviceError(err, 'PROTOCOL', this.name);
    }
  }

  /** Adds `delta` (≥ 0) to a value block: increment then transfer, as the card requires. */
  async increment(block: number, delta: number, keyA: Uint8Array): Promise<void> {
    await this.valueOp(Mifare.Increment, block, delta, keyA);
  }

  async decrement(block: number, delta: number, keyA: Uint8Array): Promise<void> {
    await this.valueOp(Mifare.Decrement, block, delta, keyA);
  }

  /** Writes the identity block at issue time (card serial + HMAC with the chain key). */
  async writeIdentity(serial: number, block: number, keyA: Uint8Array, chainKey: Uint8Array, hmac?: HmacFn): Promise<void> {
    const uid = this.current?.uid;
    if (!uid) throw new DeviceError('ILLEGAL', 'no card on the reader', this.name);
    await this.writeBlock(block, encodeIdentityBlock(uid, serial, chainKey, hmac), keyA);
  }

  private async valueOp(op: number, block: number, delta: number, keyA: Uint8Array): Promise<void> {
    this.requireEnabled('change a card value');
    let operand: number[];
    try {
      operand = valueOperand(delta);
    } catch (err) {
      throw asDeviceError(err, 'ILLEGAL', this.name);
    }
    await this.locked(async () => {
      const uid = this.requireCard();
      await this.exchange(mifareAuth(block, keyA, uid));
      await this.exchange([1, op, block, ...operand]);
      await this.exchange([1, Mifare.Transfer, block]);
    });
  }

  private requireCard(): Uint8Array {
    if (!this.current) throw new DeviceError('ILLEGAL', 'no card on the reader: ask the member to put the card down again', this.name);
    return this.current.uid;
  }

  // ---- polling ------------------------------------------------------------------------------

  private schedulePoll(delay_ms: number): void {
    if (!this.polling) return;
    this.pollTimer = this.timers.setTimeout(() => void this.poll(), delay_ms);
  }

  private stopPolling(): void {
    this.polling = false;
    if (this.pollTimer !== undefined) this.timers.clearTimeout(this.pollTimer);
    this.pollTimer = undefined;
  }

  private async poll(): Promise<void> {
    this.pollTimer = undefined;
    if (!this.polling) return;
    try {
      const card = await this.locked(async () => {
        const targets = parseInListPassiveTarget(await this.transact(Cmd.InListPassiveTarget, [0x01, 0x00]));
        const t = targets[0];
        if (!t) {
          const had = this.current !== undefined;
          this.current = undefined;
          return had ? ('removed' as const) : undefined;
        }
        if (this.current && uidHex(this.current.uid) === uidHex(t.uid)) return undefined;
        this.current = t;
        return this.describe(t);
      });
      if (card === 'removed') this.emitStatus('card-removed');
      else if (card) this.emitData(card);
    } catch (err) {
      const e = asDeviceError(err, 'PROTOCOL', this.name);
      if (e.code !== 'OFFLINE' && e.code !== 'CLOSED') this.emitError(e);
    }
    this.schedulePoll(this.poll_ms);
  }

  private async describe(t: PassiveTarget): Promise<CardPresented> {
    const technology = t.selRes & 0x18 ? 'mifare-classic' : 'iso14443a';
    const id = this.options.identity;
    if (!id || technology !== 'mifare-classic') return { uid: uidHex(t.uid), technology };
    try {
      await this.exchange(mifareAuth(id.block, id.keyA, t.uid));
      const block = await this.exchange([1, Mifare.Read, id.block]);
      return { uid: uidHex(t.uid), technology, identity: verifyIdentityBlock(block, t.uid, id.chainKey, id.hmac) };
    } catch (err) {
      if (err instanceof DeviceError && err.code === 'FAILURE') {
        // Our key does not open the block: a card this chain did not issue. Re-select it for later use.
        await this.transact(Cmd.InListPassiveTarget, [0x01, 0x00]).catch(() => undefined);
        return { uid: uidHex(t.uid), technology, identity: { ok: false, code: 'CARD_NOT_ISSUED' } };
      }
      throw err;
    }
  }

  // ---- frame exchange -----------------------------------------------------------------------

  private locked<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  /** InDataExchange with target 1; a non-zero status becomes a FAILURE with the chip's reason. */
  private async exchange(payload: number[]): Promise<Uint8Array> {
    const { status, data } = parseInDataExchange(await this.transact(Cmd.InDataExchange, payload));
    if (status !== 0) throw new DeviceError('FAILURE', `${this.name}: ${describeStatus(status)}`, this.name);
    return data;
  }

  /** One command: send, wait for ACK (resend on NACK or silence), wait for the answer (NACK a bad one). */
  private async transact(code: number, params: readonly number[]): Promise<Uint8Array> {
    const frame = encodeCommand(code, params);
    for (let attempt = 1; ; attempt++) {
      this.inbox = [];
      await this.transport.write(frame);
      const ack = await this.nextItem(this.ackTimeout_ms);
      if (ack?.type === 'ack') break;
      if (attempt >= RETRIES) {
        throw new DeviceError('TIMEOUT', `${this.name} did not acknowledge command 0x${code.toString(16)} after ${RETRIES} tries`, this.name);
      }
    }
    for (let bad = 0; ; ) {
      const item = await this.nextItem(this.responseTimeout_ms);
      if (!item) throw new DeviceError('TIMEOUT', `${this.name} did not answer command 0x${code.toString(16)}`, this.name);
      if (item.type === 'frame' && item.tfi === TFI_PN532 && item.code === code + 1) return item.params;
      if (item.type === 'error-frame') throw new DeviceError('PROTOCOL', `${this.name} rejected command 0x${code.toString(16)} as malformed`, this.name);
      if (item.type === 'bad') {
        if (++bad > RETRIES) throw new DeviceError('PROTOCOL', `${this.name}: ${item.error.message}`, this.name, { cause: item.error });
        await this.transport.write(NACK_FRAME); // asks the PN532 to send its answer again
      }
      // Anything else (a stray ACK, another frame) is ignored.
    }
  }

  /** The next frame item, or undefined after `timeout_ms`; rejects when the link is lost. */
  private nextItem(timeout_ms: number): Promise<Pn532Item | undefined> {
    return new Promise((resolve, reject) => {
      const take = () => {
        if (this.linkError) {
          cleanup();
          reject(this.linkError);
          return true;
        }
        const item = this.inbox.shift();
        if (item === undefined) return false;
        cleanup();
        resolve(item);
        return true;
      };
      const timer = this.timers.setTimeout(() => {
        cleanup();
        resolve(undefined);
      }, timeout_ms);
      const cleanup = () => {
        this.timers.clearTimeout(timer);
        this.wake = undefined;
      };
      if (take()) return;
      this.wake = () => void take();
    });
  }

  private failWaiter(err: DeviceError): void {
    this.linkError = err;
    this.wake?.();
  }
}
