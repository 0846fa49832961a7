import { createEnrollmentCode, seedChain, startHq } from '../hq-server';
import { migrate, openDatabase } from '../hq-server/database';
import { preferPort, say, untilStopSignal } from './lifecycle';

export interface HqCommandOptions {
  databaseUrl: string | undefined;
  dataDir: string;
  host: string;
  httpPort: number;
  grpcPort: number;
  tls: { certFile: string; keyFile: string } | undefined;
  seedDemo: boolean;
}

export async function runHq(o: HqCommandOptions): Promise<void> {
  const hq = await startHq({
    databaseUrl: o.databaseUrl,
    dataDir: o.dataDir,
    host: o.host,
    httpPort: await preferPort(o.httpPort, o.host),
    grpcPort: await preferPort(o.grpcPort, o.host),
    tls: o.tls,
    log: say,
  });
  try {
    if (o.seedDemo) {
      const { demoChain } = await import('../fixtures/data/demo-chain');
      await seedChain(hq.sql, demoChain);
      say('demo chain loaded');
    }
    say(`HQ console and REST API: ${hq.httpUrl}`);
    say(`HQ gRPC sync:            ${hq.grpcAddress}`);
    say('Ctrl-C stops HQ.');
    await untilStopSignal();
  } finally {
    await hq.stop();
  }
}

export async function printEnrollmentCode(o: { databaseUrl: string | undefined; dataDir: string; terminalId: string }): Promise<void> {
  const db = await openDatabase({ databaseUrl: o.databaseUrl, dataDir: o.dataDir, log: () => {} });
  try {
    await migrate(db.sql);
    const code = await createEnrollmentCode(db.sql, o.terminalId);
    say(code);
  } finally {
    await db.close();
  }
}
