/**
 * The best combination of exclusive promotions for the customer, found exactly.
 *
 * Model: every line takes at most one exclusive promotion. Separable promotions (member-level
 * discount, member and special prices, plain birthday percentages) are worth something on each
 * line by itself, so each line simply takes the best of them. Non-separable ones (满减, 满赠,
 * buy X get Y, second item, bundles, coupons, limited-quantity specials, anything with an amount
 * budget) take all the lines they touch or none. Choosing a set W of non-separable promotions with
 * pairwise disjoint lines then gives
 *
 *     value(W) = Σ_{p∈W} value(p) + Σ_{lines not touched by W} bestSeparable(line)
 *              = Σ bestSeparable + Σ_{p∈W} gain(p),   gain(p) = value(p) − Σ_{l∈lines(p)} bestSeparable(l)
 *
 * so the best W is a maximum-weight independent set in the "shares a line" graph, weighted by
 * gain. Promotions with gain ≤ 0 can never be in a best set and are dropped; the graph is split
 * into connected components, each solved by branch and bound (include-first, gains descending;
 * the bound is the smaller of "the open gains summed" and "per line, the largest open gain share").
 *
 * Complexity: O(E + L) to build (E evaluations, L lines), then per component of k candidates
 * at worst O(2^k) nodes of O(k·s + L) each (s = lines per offer): maximum-weight independent set
 * is NP-hard, so no exact method escapes an exponential worst case. In practice the bound keeps
 * it small: k nodes when offers do not overlap, hundreds to a few thousand for 20–40 offers
 * overlapping at random over 50 lines (see combine.test.ts). Separable promotions, however many,
 * never enter the search, which is why k stays small in real baskets (up to 50 lines).
 * Values are compared exactly (integers in millionths of a minor unit), ties go to the canonical
 * order (priority descending, id ascending), so the choice is deterministic.
 */
import { MICRO, type Evaluation } from './rules';

export interface ExclusiveChoice {
  /** Chosen non-separable evaluations, in the order given. */
  whole: Evaluation[];
  /** By canonical line index: the separable evaluation that line takes, if any. */
  perLine: Array<Evaluation | null>;
  /** Search nodes visited (for tests and the benchmark). */
  nodes: number;
}

interface Candidate {
  ev: Evaluation;
  order: number;
  gain: number;
  conflicts: number[];
}

/** Chooses the exclusive promotions that give the customer the most, exactly (see module doc). */
export function chooseExclusive(evaluations: readonly Evaluation[], lineCount: number): ExclusiveChoice {
  // Millionths of a minor unit (see Evaluation.values): exact integers.
  const bestValue: number[] = new Array<number>(lineCount).fill(0);
  const perLine: Array<Evaluation | null> = new Array<Evaluation | null>(lineCount).fill(null);
  for (const ev of evaluations) {
    if (!ev.separable) continue;
    ev.lines.forEach((idx, i) => {
      const v = ev.values[i]!;
      // Strictly better only: among equals the earlier (higher priority, lower id) keeps the line.
      if (v > bestValue[idx]!) {
        bestValue[idx] = v;
        perLine[idx] = ev;
      }
    });
  }

  const candidates: Candidate[] = [];
  evaluations.forEach((ev, order) => {
    if (ev.separable) return;
    let gain = (ev.amountMinor + ev.giftValueMinor) * MICRO;
    for (const idx of ev.lines) gain -= bestValue[idx]!;
    if (!Number.isSafeInteger(gain)) throw new RangeError('basket amounts too large for exact pricing');
    if (gain > 0) candidates.push({ ev, order, gain, conflicts: [] });
  });

  // Lines → candidates touching them; conflicts and components from there.
  const byLine: number[][] = Array.from({ length: lineCount }, () => []);
  candidates.forEach((c, i) => c.ev.lines.forEach((idx) => byLine[idx]!.push(i)));
  const parent = candidates.map((_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]!]!;
    return i;
  };
  const conflictSets = candidates.map(() => new Set<number>());
  for (const touching of byLine) {
    for (let a = 0; a < touching.length; a++) {
      for (let b = a + 1; b < touching.length; b++) {
        const x = touching[a]!;
        const y = touching[b]!;
        conflictSets[x]!.add(y);
        conflictSets[y]!.add(x);
        parent[find(x)] = find(y);
      }
    }
  }
  const components = new Map<number, number[]>();
  candidates.forEach((_, i) => {
    const root = find(i);
    const list = components.get(root) ?? [];
    list.push(i);
    components.set(root, list);
  });

  const chosen: Candidate[] = [];
  let nodes = 0;
  for (const members of components.values()) {
    members.sort((a, b) => {
      const ga = candidates[a]!.gain;
      const gb = candidates[b]!.gain;
      return ga === gb ? candidates[a]!.order - candidates[b]!.order : ga > gb ? -1 : 1;
    });
    const local = new Map(members.map((c, i) => [c, i]));
    const k = members.length;
    const gain = members.map((c) => candidates[c]!.gain);
    const conflicts = members.map((c) => [...conflictSets[c]!].map((x) => local.get(x)!));
    const blocked = new Array<number>(k).fill(0);
    const lines = members.map((c) => candidates[c]!.ev.lines);
    // Each offer's gain spread evenly over its lines, rounded up so the bound stays an upper bound.
    const share = members.map((_, j) => Math.floor(gain[j]! / lines[j]!.length) + 1);
    const componentLines = [...new Set(lines.flat())];
    const lineBest = new Array<number>(lineCount).fill(0);
    const taking: number[] = [];
    let best = -1;
    let bestSet: number[] = [];
    const search = (i: number, current: number): void => {
      nodes++;
      if (current > best) {
        best = current;
        bestSet = taking.slice();
      }
      if (i === k) return;
      // Two upper bounds on what the undecided offers can still add: their gains summed, and,
      // line by line, the largest share of any offer still open on it (tight when offers overlap).
      let byOffer = 0;
      for (const l of componentLines) lineBest[l] = 0;
      for (let j = i; j < k; j++) {
        if (blocked[j] !== 0) continue;
        byOffer += gain[j]!;
        for (const l of lines[j]!) if (share[j]! > lineBest[l]!) lineBest[l] = share[j]!;
      }
      if (current + byOffer <= best) return;
      let byLine = 0;
      for (const l of componentLines) byLine += lineBest[l]!;
      if (current + byLine <= best) return;
      if (blocked[i] === 0) {
        taking.push(i);
        for (const c of conflicts[i]!) blocked[c]!++;
        search(i + 1, current + gain[i]!);
        for (const c of conflicts[i]!) blocked[c]!--;
        taking.pop();
      }
      search(i + 1, current);
    };
    search(0, 0);
    for (const i of bestSet) chosen.push(candidates[members[i]!]!);
  }

  chosen.sort((a, b) => a.order - b.order);
  for (const c of chosen) for (const idx of c.ev.lines) perLine[idx] = null;
  return { whole: chosen.map((c) => c.ev), perLine, nodes };
}
