import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe('a machine without serialport, node-hid and usb', () => {
  it('still runs the simulated lane and says which device could not start and why', async () => {
    const dir = join(__dirname, 'no-native');
    const { stdout } = await run(process.execPath, ['--import', 'tsx', '--import', join(dir, 'block-native.mjs'), join(dir, 'lane.ts')], {
      cwd: join(__dirname, '..', '..'),
      timeout: 60_000,
    });
    const health = JSON.parse(stdout.trim().split('\n').at(-1)!) as { name: string; health: string; detail: string }[];
    expect(health.filter((h) => h.name !== 'real-reader').every((h) => h.health === 'ok')).toBe(true);
    const reader = health.find((h) => h.name === 'real-reader')!;
    expect(reader.health).toBe('not-started');
    expect(reader.detail).toMatch(/real-reader could not start: .*"serialport" package, which could not be loaded/);
  });
});
