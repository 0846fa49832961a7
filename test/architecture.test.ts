import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The folder rules of DESIGN §2, checked on every import of every source file:
 * core imports nothing of ours and no I/O; protocols is pure encode/decode over core;
 * drivers sit on core and protocols; terminal and hq-server never import each other.
 */

const ROOT = resolve(__dirname, '..');
const TOP_FOLDERS = ['core', 'protocols', 'drivers', 'terminal', 'hq-server', 'migrations', 'fixtures', 'test', 'bench', 'bin'];

/** Which of our top-level folders each folder may import. */
const MAY_IMPORT: Record<string, string[]> = {
  core: ['core'],
  protocols: ['core', 'protocols'],
  drivers: ['core', 'protocols', 'drivers'],
  terminal: ['core', 'protocols', 'drivers', 'terminal'],
  'hq-server': ['core', 'protocols', 'hq-server'],
};

/** Node modules that do I/O (or only exist in Node): never in core, never I/O in protocols. */
const IO_MODULES = /^(node:)?(fs|fs\/promises|net|tls|http|https|http2|dgram|child_process|cluster|worker_threads|os|process|readline|repl|vm|dns|inspector)$/;
const NODE_ONLY = /^node:|^(buffer|crypto|path|url|util|events|stream|zlib|assert|string_decoder|timers)$/;

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...sourceFiles(full));
    else if (/\.(ts|tsx|js|mjs)$/.test(name) && !/\.test\.ts$/.test(name) && !/\.d\.ts$/.test(name)) out.push(full);
  }
  return out;
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found: string[] = [];
  const pattern = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g;
  for (const m of text.matchAll(pattern)) found.push((m[1] ?? m[2] ?? m[3])!);
  return found;
}

function topFolderOf(file: string): string | undefined {
  const first = relative(ROOT, file).split(/[\\/]/)[0];
  return first && TOP_FOLDERS.includes(first) ? first : undefined;
}

function violations(): string[] {
  const found: string[] = [];
  for (const folder of Object.keys(MAY_IMPORT)) {
    const dir = join(ROOT, folder);
    let files: string[] = [];
    try {
      files = sourceFiles(dir);
    } catch {
      continue;
    }
    for (const file of files) {
      const where = relative(ROOT, file);
      for (const spec of importsOf(file)) {
        if (spec.startsWith('.')) {
          const target = topFolderOf(resolve(dirname(file), spec));
          if (target && !MAY_IMPORT[folder]!.includes(target)) found.push(`${where} imports ${target}/ (${spec})`);
          continue;
        }
        if (folder === 'core' && NODE_ONLY.test(spec)) found.push(`${where} imports Node-only ${spec}`);
        if (folder === 'protocols' && IO_MODULES.test(spec)) found.push(`${where} imports I/O module ${spec}`);
        // Electron main may use Node; everything else in terminal/ goes through our modules.
      }
    }
  }
  return found;
}

describe('architecture (DESIGN §2)', () => {
  it('every import respects the folder rules', () => {
    expect(violations()).toEqual([]);
  });

  it('the checker itself catches a forbidden import', () => {
    const spec = "import { startHq } from '../hq-server';";
    const m = /from\s*['"]([^'"]+)['"]/.exec(spec);
    expect(topFolderOf(resolve(ROOT, 'terminal', m![1]!))).toBe('hq-server');
    expect(MAY_IMPORT.terminal).not.toContain('hq-server');
    expect(NODE_ONLY.test('node:fs')).toBe(true);
    expect(IO_MODULES.test('net')).toBe(true);
  });
});
