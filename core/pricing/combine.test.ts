import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { promotion } from './builders';
import { chooseExclusive } from './combine';
import { MICRO, type Evaluation } from './rules';

/** A non-separable offer worth `amount` on `lines` (synthetic, for the search alone). */
function offer(id: string, lines: number[], amountMinor: number): Evaluation {
  return {
    promotion: promotion(id, { type: 'spendThresholdDiscount', tiers: [], repeat: false, capMinor: null }),
    separable: false,
    lines,
    values: [],
    weights: lines.map(() => 1_000_000),
    amountMinor,
    giftSets: 0,
    giftValueMinor: 0,
    couponCodes: [],
    memberUses: 1,
    budgetQuantity: 1,
    detail: {},
  };
}

/** A separable offer worth `perLineMinor[i]` on `lines[i]`. */
function perLine(id: string, lines: number[], perLineMinor: number[]): Evaluation {
  return { ...offer(id, lines, 0), separable: true, values: perLineMinor.map((v) => v * MICRO) };
}

function bruteForce(offers: Evaluation[]): number {
  let best = 0;
  for (let mask = 0; mask < 1 << offers.length; mask++) {
    const used = new Set<number>();
    let total = 0;
    let ok = true;
    offers.forEach((o, i) => {
      if (!(mask & (1 << i))) return;
      if (o.lines.some((l) => used.has(l))) ok = false;
      o.lines.forEach((l) => used.add(l));
      total += o.amountMinor;
    });
    if (ok) best = Math.max(best, total);
  }
  return best;
}

const total = (offers: Evaluation[]) => offers.reduce((s, o) => s + o.amountMinor, 0);

describe('exclusive combination search', () => {
  it('takes two smaller offers over the bigger one they both overlap', () => {
    const big = offer('big', [0, 1], 10);
    const left = offer('left', [0], 6);
    const right = offer('right', [1], 6);
    expect(chooseExclusive([big, left, right], 2).whole.map((e) => e.promotion.id)).toEqual(['left', 'right']);
  });

  it('gives each line its best separable offer, and a whole offer only when it beats them', () => {
    const member = perLine('member', [0, 1, 2], [5, 5, 5]);
    const bogof = offer('bogof', [0, 1], 9);
    const choice = chooseExclusive([member, bogof], 3);
    expect(choice.whole).toEqual([]);
    expect(choice.perLine.map((e) => e?.promotion.id)).toEqual(['member', 'member', 'member']);
    const better = offer('bogof', [0, 1], 11);
    const again = chooseExclusive([member, better], 3);
    expect(again.whole.map((e) => e.promotion.id)).toEqual(['bogof']);
    expect(again.perLine.map((e) => e?.promotion.id ?? null)).toEqual([null, null, 'member']);
  });

  it('breaks ties by the order given (priority, then id)', () => {
    const a = offer('a', [0], 5);
    const b = offer('b', [0], 5);
    expect(chooseExclusive([a, b], 1).whole.map((e) => e.promotion.id)).toEqual(['a']);
    expect(chooseExclusive([b, a], 1).whole.map((e) => e.promotion.id)).toEqual(['b']);
  });

  it('matches brute force on random overlapping offers over 50 lines', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ lines: fc.uniqueArray(fc.integer({ min: 0, max: 49 }), { minLength: 1, maxLength: 8 }), amount: fc.integer({ min: 1, max: 5000 }) }), {
          minLength: 1,
          maxLength: 14,
        }),
        (raw) => {
          const offers = raw.map((r, i) => offer(`o${i}`, [...r.lines].sort((x, y) => x - y), r.amount));
          expect(total(chooseExclusive(offers, 50).whole)).toBe(bruteForce(offers));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('matches brute force with per-line offers in the mix (member discounts, special prices)', () => {
    const arb = fc.record({
      whole: fc.array(fc.record({ lines: fc.uniqueArray(fc.integer({ min: 0, max: 11 }), { minLength: 1, maxLength: 5 }), amount: fc.integer({ min: 1, max: 3000 }) }), {
        minLength: 1,
        maxLength: 10,
      }),
      separable: fc.array(fc.array(fc.integer({ min: 0, max: 800 }), { minLength: 12, maxLength: 12 }), { minLength: 0, maxLength: 3 }),
    });
    fc.assert(
      fc.property(arb, ({ whole, separable }) => {
        const wholes = whole.map((r, i) => offer(`w${i}`, [...r.lines].sort((x, y) => x - y), r.amount));
        const perLines = separable.map((values, i) => perLine(`s${i}`, values.map((_, l) => l).filter((l) => values[l]! > 0), values.filter((v) => v > 0)));
        const bestOnLine = (l: number) => Math.max(0, ...separable.map((values) => values[l]!));
        let best = 0;
        for (let mask = 0; mask < 1 << wholes.length; mask++) {
          const used = new Set<number>();
          let total = 0;
          let ok = true;
          wholes.forEach((o, i) => {
            if (!(mask & (1 << i))) return;
            if (o.lines.some((l) => used.has(l))) ok = false;
            o.lines.forEach((l) => used.add(l));
            total += o.amountMinor;
          });
          for (let l = 0; l < 12; l++) if (!used.has(l)) total += bestOnLine(l);
          if (ok) best = Math.max(best, total);
        }
        const choice = chooseExclusive([...perLines, ...wholes], 12);
        let got = total(choice.whole);
        choice.perLine.forEach((ev, l) => {
          if (ev) got += ev.values[ev.lines.indexOf(l)]! / MICRO;
        });
        expect(got).toBe(best);
      }),
      { numRuns: 300 },
    );
  });

  it('stays small on 30 mutually entangled offers over 50 lines (the bound prunes)', () => {
    // Offer i covers lines i … i+5 (mod 50): every offer overlaps ten others, one component.
    const offers = Array.from({ length: 30 }, (_, i) => offer(`o${String(i).padStart(2, '0')}`, [0, 1, 2, 3, 4, 5].map((d) => (i + d) % 50).sort((x, y) => x - y), 100 + ((i * 37) % 50)));
    const choice = chooseExclusive(offers, 50);
    expect(choice.nodes).toBeLessThan(5_000);
    // Disjoint and at least as good as any greedy pick.
    const used = new Set<number>();
    for (const o of choice.whole) for (const l of o.lines) {
      expect(used.has(l)).toBe(false);
      used.add(l);
    }
    expect(total(choice.whole)).toBeGreaterThanOrEqual(5 * 100);
  });
});
