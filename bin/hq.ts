import { createEnrollmentCode, seedChain, startHq } from '../hq-server';
import { migrate, openDatabase } from '../hq-server/database';
import { pino } from 'pino';
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
  // A server's log is for machines first: one JSON object per line (pino), on stdout.
  const logger = pino({ base: { service: 'onecard-hq' } });
  const hq = await startHq({
    databaseUrl: o.databaseUrl,
    dataDir: o.dataDir,
    host: o.host,
    httpPort: await preferPort(o.httpPort, o.host),
    grpcPort: await preferPort(o.grpcPort, o.host),
    tls: o.tls,
    log: (msg) => logger.info(msg),
  });
  try {
    if (o.seedDemo) {
      const { demoChain } = await import('../fixtures/data/demo-chain');
      await seedChain(hq.sql, demoChain);
      logger.info('demo chain loaded');
    }
    logger.info({ http: hq.httpUrl, grpc: hq.grpcAddress, metrics: `${hq.httpUrl}/metrics` }, 'HQ is serving; Ctrl-C stops it');
    const signal = await untilStopSignal();
    logger.info({ signal }, 'stopping');
  } finally {
    await hq.stop();
  }
  logger.info('stopped');
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
