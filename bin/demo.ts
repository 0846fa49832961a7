import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { demoChain } from '../fixtures/data/demo-chain';
import { createEnrollmentCode, seedChain, startHq } from '../hq-server';
import { simulatedLane } from './simulated-lane';
import { startTerminal, terminalIsEnrolled } from '../terminal';
import { preferPort, say, untilStopSignal } from './lifecycle';

/** The terminals the demo runs: two stores, in two regions. */
const DEMO_TERMINALS = ['t-sh-01-1', 't-gz-01-1'];
const HQ_HTTP_PORT = 7700;
const HQ_GRPC_PORT = 7701;
const FIRST_TERMINAL_PORT = 7710;

type RunningTerminal = Awaited<ReturnType<typeof startTerminal>>;

/** What scripts read to find the running demo chain (written to DATA_DIR/demo.json). */
export interface DemoManifest {
  chain: string;
  hq: { http: string; grpc: string };
  terminals: Array<{ id: string; store: string; storeName: string; ui: string; app: string; token: string }>;
  signIn: {
    hq: { login: string; password: string };
    /** Who signs in at the tills: by login and PIN, or their operator card on the (simulated, F11) reader. */
    cashiers: Array<{ store: string; login: string; pin: string; cardNo: string | null }>;
    /** Store managers: their card or PIN approves a void, a cancel, a refund above the limit, a no-sale. */
    supervisors: Array<{ store: string; login: string; pin: string; cardNo: string | null }>;
  };
}

export async function runDemo(o: { dataDir: string; fresh: boolean }): Promise<void> {
  const dataDir = resolve(o.dataDir);
  if (o.fresh) await rm(dataDir, { recursive: true, force: true });
  await mkdir(dataDir, { recursive: true });
  const started = Date.now();

  const hq = await startHq({
    dataDir: join(dataDir, 'hq'),
    httpPort: await preferPort(HQ_HTTP_PORT),
    grpcPort: await preferPort(HQ_GRPC_PORT),
    log: (line) => say(`[hq] ${line}`),
  });
  const terminals: RunningTerminal[] = [];
  const stopAll = async () => {
    for (const t of terminals.reverse()) await t.stop().catch((e) => say(`terminal stop failed: ${(e as Error).message}`));
    await hq.stop();
  };
  try {
    await seedChain(hq.sql, demoChain);
    for (const [i, terminalId] of DEMO_TERMINALS.entries()) {
      const terminalDir = join(dataDir, 'terminals', terminalId);
      await mkdir(terminalDir, { recursive: true });
      // A terminal enrolls once; later runs find its credential in its own data folder.
      const enrollmentCode = terminalIsEnrolled(terminalDir) ? undefined : await createEnrollmentCode(hq.sql, terminalId);
      terminals.push(
        await startTerminal({
          dataDir: terminalDir,
          hqAddress: hq.grpcAddress,
          enrollmentCode,
          httpPort: await preferPort(FIRST_TERMINAL_PORT + i),
          devices: simulatedLane(terminalDir),
          log: (line) => say(`[${terminalId}] ${line}`),
        }),
      );
    }
    const manifest = buildManifest(hq, terminals);
    await writeFile(join(dataDir, 'demo.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    printBanner(manifest, join(dataDir, 'demo.json'), Date.now() - started);
    await untilStopSignal();
    say('stopping the demo chain…');
  } finally {
    await stopAll();
  }
  say('stopped.');
}

function buildManifest(hq: { httpUrl: string; grpcAddress: string }, terminals: RunningTerminal[]): DemoManifest {
  const storeName = (id: string) => demoChain.org.find((n) => n.id === id)?.name ?? id;
  const admin = demoChain.operators.find((op) => op.roles.includes('hq_admin'));
  const atTills = (role: string) =>
    demoChain.operators
      .filter((op) => op.roles.includes(role) && terminals.some((t) => t.storeId === op.nodeId))
      .map((op) => ({ store: op.nodeId, login: op.login, pin: op.pin, cardNo: op.cardNo ?? null }));
  return {
    chain: demoChain.chainName,
    hq: { http: hq.httpUrl, grpc: hq.grpcAddress },
    terminals: terminals.map((t) => ({ id: t.terminalId, store: t.storeId, storeName: storeName(t.storeId), ui: t.uiUrl.replace(/\/$/, ''), app: t.appUrl, token: t.token })),
    signIn: {
      hq: { login: admin?.login ?? 'admin', password: admin?.password ?? '' },
      cashiers: atTills('cashier'),
      supervisors: atTills('store_manager'),
    },
  };
}

function printBanner(m: DemoManifest, manifestPath: string, ms: number): void {
  say('');
  say(`OneCard demo — ${m.chain} — up in ${(ms / 1000).toFixed(1)} s`);
  say(`  HQ console:   ${m.hq.http}   (sign in: ${m.signIn.hq.login} / ${m.signIn.hq.password})`);
  say(`  HQ gRPC:      ${m.hq.grpc}`);
  for (const t of m.terminals) {
    say(`  Cashier app:  ${t.app}   (${t.storeName}, terminal ${t.id}, simulated devices; simple page: ${t.ui})`);
    // The till starts locked: who may sign in there, and who approves what a cashier may not do alone.
    const who = (o: { login: string; pin: string; cardNo: string | null }) => `${o.login} / PIN ${o.pin}${o.cardNo ? ` or card ${o.cardNo} (F11 → present)` : ''}`;
    const cashier = m.signIn.cashiers.find((c) => c.store === t.store);
    const supervisor = m.signIn.supervisors.find((c) => c.store === t.store);
    if (cashier) say(`                cashier sign-in: ${who(cashier)}`);
    if (supervisor) say(`                supervisor: ${who(supervisor)}`);
  }
  say(`  Details for scripts: ${manifestPath}`);
  say('  Ctrl-C stops everything.');
  say('');
}
