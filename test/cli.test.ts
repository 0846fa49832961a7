import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const CLI = resolve(__dirname, '../bin/onecard.js');
const run = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });

describe('the onecard command', () => {
  it('lists its sub-commands', () => {
    const r = run('--help');
    expect(r.status).toBe(0);
    for (const name of ['demo', 'hq', 'terminal', 'migrate']) expect(r.stdout).toMatch(new RegExp(`^  ${name} `, 'm'));
  });

  it.each(['demo', 'hq', 'terminal', 'migrate'])('%s --help explains its options', (name) => {
    const r = run(name, '--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`onecard ${name}`);
    expect(r.stdout).toMatch(/--[a-z-]+/);
  });

  it('refuses an unknown command or option with usage and exit code 2', () => {
    const unknown = run('dance');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('unknown command "dance"');
    const badOption = run('hq', '--no-such-option');
    expect(badOption.status).toBe(2);
    expect(badOption.stderr).toContain('onecard hq');
    const badPort = run('terminal', '--port', 'eighty');
    expect(badPort.status).toBe(2);
    expect(badPort.stderr).toContain('not a port: eighty');
  });

  it('migrates a terminal SQLite file and says so', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(resolve(tmpdir(), 'onecard-migrate-'));
    try {
      const r = run('migrate', '--terminal-db', resolve(dir, 't.sqlite'));
      expect(r.stderr).toBe('');
      expect(r.stdout).toContain('is up to date');
      expect(r.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
