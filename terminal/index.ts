import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'node:http';
import { systemClock, uuidv7 } from '../core/ids';
import { Checkout } from './checkout';
import { memberMoneyServices } from './context';
import { HoldBook } from './holds';
import { openTerminalDb } from './db';
import { loadIdentity, saveIdentity, updateHqAddress } from './identity';
import { closeServer, createLocalApi, listenLocalApi } from './local-api';
import { DayClose } from './day-close';
import { createStaff } from './staff-api';
import { createDeviceFactory, loadDevicesConfigIfPresent } from '../drivers';
import { scaleLabelLayouts, StoreLane, type LaneDevices } from './devices';
import { EventsStream } from './events-stream';
import { defaultStoreLanguage, type Language } from './i18n';
import { CashierLane } from './lane-api';
import { enrollTerminal, SyncClient } from './sync-client';

export { migrateTerminalDb, openTerminalDb } from './db';

/** Whether the terminal in `dataDir` has enrolled (so it starts without an enrollment code). */
export function terminalIsEnrolled(dataDir: string): boolean {
  const file = join(dataDir, 'terminal.sqlite');
  if (!existsSync(file)) return false;
  const db = openTerminalDb(file);
  try {
    return loadIdentity(db) !== null;
  } finally {
    db.close();
  }
}
export type { TerminalDb } from './db';

/** How long start waits for the first sync before serving from the cache. */
const FIRST_SYNC_WAIT_MS = 5_000;

export interface StartTerminalOptions {
  /** Folder of this terminal's data; the database is `${dataDir}/terminal.sqlite`. */
  dataDir: string;
  /** host:port of HQ's gRPC service. */
  hqAddress: string;
  /** TLS to HQ: a PEM file with the CA HQ's certificate chains to (or HQ's self-signed certificate). */
  hqCaFile?: string;
  /** The name in HQ's certificate, when it is not the host of hqAddress. */
  hqServerName?: string;
  /** One-time code from HQ; needed only the first time (HQ must be reachable then). */
  enrollmentCode?: string;
  /** Interface of the local API (default 127.0.0.1). */
  host?: string;
  /** 0 = any free port (default). */
  httpPort?: number;
  /** Pause between background syncs (default 5000). */
  syncIntervalMs?: number;
  faults?: { afterSaleCommit?: () => void };
  log?: (msg: string) => void;
  /**
   * The lane's devices. The composition root passes simulated ones (with their panel); without
   * them a devices.json (`devicesFile`, else env ONECARD_DEVICES) builds the real ones; with
   * neither the terminal runs without devices (keyboard entry, no receipts).
   */
  devices?: LaneDevices;
  devicesFile?: string;
  /** The store's language (receipts, the UI's first language); zh-CN for a CNY store by default. */
  language?: Language;
}

export interface RunningTerminal {
  /** The cashier page, e.g. http://127.0.0.1:PORT/ */
  uiUrl: string;
  /** Per-launch token of the local API (Authorization: Bearer <token>). */
  token: string;
  /** The keyboard-first cashier app, e.g. http://127.0.0.1:PORT/app/ */
  appUrl: string;
  terminalId: string;
  storeId: string;
  /** Pushes the outbox and pulls changes now; rejects (HQ_OFFLINE…) if HQ cannot be reached. */
  syncNow(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The terminal's composition root: SQLite, enrollment, sync client, checkout, local API.
 * The first start needs an enrollment code and HQ reachable once; afterwards the terminal
 * starts and sells with HQ down, and syncs when it comes back.
 */
export async function startTerminal(options: StartTerminalOptions): Promise<RunningTerminal> {
  const log = options.log ?? ((msg: string) => console.log(msg));
  const hqTls = options.hqCaFile ? { caPem: readFileSync(options.hqCaFile), serverName: options.hqServerName } : undefined;
  const clock = systemClock;
  mkdirSync(options.dataDir, { recursive: true });
  const file = join(options.dataDir, 'terminal.sqlite');
  const db = openTerminalDb(file, clock);
  let server: Server | null = null;
  let sync: SyncClient | null = null;
  let lane: StoreLane | null = null;
  let cashierLane: CashierLane | null = null;
  try {
    let identity = loadIdentity(db);
    if (!identity) {
      if (!options.enrollmentCode) {
        throw new Error(`the terminal in ${options.dataDir} is not enrolled yet: start it once with a one-time enrollment code from HQ (onecard terminal --enroll CODE; HQ makes one with: onecard hq enrollment-code TERMINAL_ID)`);
      }
      const enrolled = await enrollTerminal(options.hqAddress, options.enrollmentCode, hostname(), { log, tls: hqTls });
      saveIdentity(db, { ...enrolled, hqAddress: options.hqAddress, enrolledAt: clock.now() });
      identity = loadIdentity(db)!;
      log(`enrolled as terminal ${identity.terminalId} of store ${identity.storeId} (${identity.storeName})`);
    } else if (identity.hqAddress !== options.hqAddress) {
      updateHqAddress(db, options.hqAddress);
      identity = { ...identity, hqAddress: options.hqAddress };
    }

    // The sync client settles checkout's loose ends after each sync; checkout is made next.
    let checkout: Checkout | null = null;
    sync = new SyncClient({
      db,
      hqAddress: options.hqAddress,
      tls: hqTls,
      credential: identity.credential,
      currency: identity.currency,
      clock,
      log,
      syncIntervalMs: options.syncIntervalMs ?? 5_000,
      afterSync: async () => checkout?.releaseUnresolvedHolds(),
    });
    const terminal = { terminalId: identity.terminalId, storeId: identity.storeId, currency: identity.currency };
    const newId = () => uuidv7(clock);
    const holds = new HoldBook({ db, hq: sync, clock, newId, terminal, log });
    const context = { db, clock, newId, hq: sync, holds, terminal, timeZone: identity.timeZone, log };
    // The lane's devices first: its scanners' scale-label layouts, when it sets any, also read labels
    // typed at the till; without them the checkout reads labels with the chain's setting.
    const devicesFile = options.devicesFile ?? process.env.ONECARD_DEVICES;
    const laneDevices: LaneDevices | undefined =
      options.devices ??
      (devicesFile ? await loadDevicesConfigIfPresent(devicesFile).then((config) => config && { config, factory: createDeviceFactory({ dataDir: options.dataDir }) }) : undefined);
    checkout = new Checkout({
      db,
      terminal,
      clock,
      newId,
      hq: sync,
      holds,
      timeZone: identity.timeZone,
      afterSaleCommit: options.faults?.afterSaleCommit,
      log,
      scaleLabelLayouts: laneDevices ? scaleLabelLayouts(laneDevices.config) : [],
    });
    const token = randomBytes(32).toString('hex');
    const link = sync;
    lane = laneDevices ? new StoreLane(laneDevices, db, log) : null;
    const services = memberMoneyServices(context);
    const openDrawer = async () => (await lane?.openDrawer()) ?? false;
    const staff = createStaff({ db, clock, newId, checkout, services, openDrawer });
    const cashier = new CashierLane({
      checkout,
      db,
      lane,
      events: new EventsStream(token),
      store: { terminalId: identity.terminalId, storeName: identity.storeName, chainName: identity.chainName, currency: identity.currency, timeZone: identity.timeZone },
      language: options.language ?? defaultStoreLanguage(identity.currency),
      link: () => ({ hq: link.state(), lastContactAt: link.lastContactAt() }),
      log,
      staff,
    });
    cashierLane = cashier;
    const app = createLocalApi({
      checkout,
      services,
      db,
      terminal: { ...terminal, storeName: identity.storeName, chainName: identity.chainName },
      token,
      link: () => ({ hq: link.state(), lastContactAt: link.lastContactAt() }),
      log,
      cashierApp: cashier,
      staff,
      dayClose: new DayClose(context),
    });
    cashier.start();
    if (lane) await lane.start();
    const listening = await listenLocalApi(app, options.host ?? '127.0.0.1', options.httpPort ?? 0);
    server = listening.server;

    // Catch up before serving the first sale when HQ answers soon; sell from the cache when it
    // does not (the sync goes on in the background either way).
    const firstSync = sync.syncNow().catch((e: Error) => log(`starting offline: ${e.message}`));
    await Promise.race([firstSync, new Promise<void>((resolve) => setTimeout(resolve, FIRST_SYNC_WAIT_MS).unref())]);
    sync.start();

    let stopping: Promise<void> | null = null;
    const running = { server, sync };
    return {
      uiUrl: `${listening.url}/`,
      appUrl: `${listening.url}/app/`,
      token,
      terminalId: identity.terminalId,
      storeId: identity.storeId,
      syncNow: () => running.sync.syncNow(),
      stop: () =>
        (stopping ??= (async () => {
          cashierLane?.stop();
          await closeServer(running.server).catch((e: Error) => log(`terminal stop: ${e.message}`));
          await lane?.stop();
          await running.sync.stop();
          db.close();
        })()),
    };
  } catch (e) {
    cashierLane?.stop();
    if (server) await closeServer(server).catch(() => {});
    await lane?.stop().catch(() => {});
    if (sync) await sync.stop();
    db.close();
    throw e;
  }
}
