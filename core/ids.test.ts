import { describe, expect, it } from 'vitest';
import { UUID_PATTERN, uuidv7 } from './ids';

describe('uuidv7', () => {
  it('puts the clock in the first 48 bits and marks version 7', () => {
    const id = uuidv7({ now: () => 0x0190_1234_5678 });
    expect(id.startsWith('01901234-5678-7')).toBe(true);
    expect(id).toMatch(UUID_PATTERN);
  });
  it('sorts ids made later after ids made earlier', () => {
    const a = uuidv7({ now: () => 1_700_000_000_000 });
    const b = uuidv7({ now: () => 1_700_000_000_001 });
    expect(a < b).toBe(true);
    expect(new Set(Array.from({ length: 1000 }, () => uuidv7())).size).toBe(1000);
  });
});
