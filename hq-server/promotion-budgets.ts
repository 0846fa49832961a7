import { DomainError, invariant } from '../core/errors';
import { recordChanges } from './change-log';
import type { Db, Sql } from './database';

/**
 * Chain-wide promotion budgets (issue 5 item 5), counted at HQ from the sale documents
 * (`sales.body.promotionUses`, what each terminal's engine drew), never from a counter: each
 * draw is written with its sale into `sale_budget_draws` (migration 0045, push-events.ts), one
 * row per sale and promotion it drew on, and summed from there.
 *
 * Terminals have no call to reserve from a budget, so HQ hands each one an allotment: a share
 * of the budget it may draw on, online and offline alike (the engine gets "my allotment less
 * what my own sales drew" as `budgetRemaining`). HQ tops a terminal's allotment up when it
 * pulls and has drawn at least half of it, never beyond the budget: the allotments of a
 * promotion add up to its total at most, so the chain never draws more than the budget —
 * what is left unspent in allotments is the most it can fall short of using it all.
 * See hq-server/README.md, "Promotion budgets".
 */

export interface BudgetTerminal {
  terminalId: string;
  allotted: number;
  /** What this terminal's sales HQ has received drew on the budget. */
  used: number;
}

export interface BudgetState {
  promotionId: string;
  kind: 'quantity' | 'amount';
  total: number;
  /** Drawn by every sale HQ has received. */
  used: number;
  /** Handed to terminals so far (never more than `total`). */
  allotted: number;
  /** Neither drawn nor handed out: what HQ may still allot. */
  unallotted: number;
  /** Handed out but not yet drawn (as far as HQ knows): the terminals may still draw it. */
  outstanding: number;
  terminals: BudgetTerminal[];
}

/** One sale's draws as `sale_budget_draws` rows: one per promotion it drew on (draws > 0 only, a promotion named twice summed). */
export function saleBudgetDrawRows(saleId: string, terminalId: string, uses: ReadonlyArray<{ promotionId: string; budgetDrawn: number }> | null | undefined): Array<{ promotion_id: string; terminal_id: string; sale_id: string; drawn: number }> {
  const drawn = new Map<string, number>();
  for (const u of uses ?? []) if (u.budgetDrawn > 0) drawn.set(u.promotionId, (drawn.get(u.promotionId) ?? 0) + u.budgetDrawn);
  return [...drawn].map(([promotionId, n]) => ({ promotion_id: promotionId, terminal_id: terminalId, sale_id: saleId, drawn: n }));
}

/**
 * Records what a sale recorded in `sales` (by `terminalId`) drew on budgets; no statement when it
 * drew none. Push-events writes them with the sale; tests that insert sales rows directly call it too.
 */
export async function recordSaleBudgetDraws(db: Db, saleId: string, terminalId: string, uses: ReadonlyArray<{ promotionId: string; budgetDrawn: number }> | null | undefined): Promise<void> {
  const rows = saleBudgetDrawRows(saleId, terminalId, uses);
  if (rows.length > 0) await db`insert into sale_budget_draws ${db(rows)}`;
}

/** Budget drawn per promotion and terminal, by the sales HQ has recorded (optionally one terminal's only). */
export async function budgetDrawn(db: Db, promotionIds: readonly string[], terminalId: string | null = null): Promise<Map<string, Map<string, number>>> {
  const ids = [...new Set(promotionIds)];
  const out = new Map<string, Map<string, number>>(ids.map((id) => [id, new Map<string, number>()]));
  if (ids.length === 0) return out;
  const rows = terminalId === null
    ? await db`select promotion_id, terminal_id, sum(drawn)::bigint as drawn from sale_budget_draws where promotion_id = any(${ids}::text[]) group by 1, 2`
    : await db`select promotion_id, terminal_id, sum(drawn)::bigint as drawn from sale_budget_draws where promotion_id = any(${ids}::text[]) and terminal_id = ${terminalId} group by 1, 2`;
  for (const r of rows) out.get(r.promotion_id as string)!.set(r.terminal_id as string, Number(r.drawn));
  return out;
}

/** Where a promotion's budget stands: total, drawn, handed out, per terminal. */
export async function budgetState(db: Db, promotionId: string): Promise<BudgetState | null> {
  const [p] = await db`select definition->'budget' as budget from promotions where id = ${promotionId}`;
  if (!p) throw new DomainError('NOT_FOUND', `no promotion ${promotionId}`);
  const budget = p.budget as { kind: 'quantity' | 'amount'; total: number } | null;
  if (!budget) return null;
  const drawn = (await budgetDrawn(db, [promotionId])).get(promotionId) ?? new Map<string, number>();
  const allotments = new Map((await db`select terminal_id, allotted from promotion_allotments where promotion_id = ${promotionId}`).map((r) => [r.terminal_id as string, Number(r.allotted)]));
  const ids = [...new Set([...drawn.keys(), ...allotments.keys()])].sort();
  const terminals = ids.map((terminalId) => ({ terminalId, allotted: allotments.get(terminalId) ?? 0, used: drawn.get(terminalId) ?? 0 }));
  const used = terminals.reduce((s, t) => s + t.used, 0);
  const allotted = terminals.reduce((s, t) => s + t.allotted, 0);
  return {
    promotionId,
    kind: budget.kind,
    total: budget.total,
    used,
    allotted,
    unallotted: Math.max(0, budget.total - allotted),
    outstanding: terminals.reduce((s, t) => s + Math.max(0, t.allotted - t.used), 0),
    terminals,
  };
}

/**
 * A terminal's allotment size: the budget shared over twice the terminals that may use it, at
 * least one unit. Half of it is topped up again at each pull once drawn, so a busy store does not
 * wait long for more while a quiet one keeps little out of reach.
 */
export function allotmentTarget(total: number, terminalCount: number): number {
  return Math.max(1, Math.floor(total / (2 * Math.max(1, terminalCount))));
}

/**
 * Tops up `terminal`'s allotment of every live budgeted promotion in its store's scope, within
 * what is left unallotted, and puts each promotion it changed in the feed (so the pull that
 * follows carries the new figure). Call before a pull; safe from several HQ instances (each
 * promotion is locked while its allotments change). Returns the promotion ids changed.
 */
export async function topUpAllotments(sql: Sql, terminal: { terminalId: string; storeId: string }): Promise<string[]> {
  const live = await sql`
    with recursive up as (select id, parent_id from org_nodes where id = ${terminal.storeId}
      union all select n.id, n.parent_id from org_nodes n join up on n.id = up.parent_id)
    select p.id from promotions p
    where p.status in ('scheduled', 'active') and p.definition->'budget' is not null and jsonb_typeof(p.definition->'budget') = 'object'
      and p.org_node_id in (select id from up)
    order by p.id`;
  if (live.length === 0) return [];
  const changed: string[] = [];
  for (const { id } of live) {
    const granted = await sql.begin(async (tx) => {
      const [p] = await tx`select status, org_node_id, (definition->'budget'->>'total')::bigint as total from promotions where id = ${id} for update`;
      if (!p || (p.status !== 'scheduled' && p.status !== 'active')) return false;
      const total = Number(p.total);
      const [terminals] = await tx`
        with recursive down as (select id from org_nodes where id = ${p.org_node_id}
          union all select n.id from org_nodes n join down on n.parent_id = down.id)
        select count(*)::int as n from terminals where store_id in (select id from down) and revoked_at is null`;
      const target = allotmentTarget(total, (terminals?.n as number) ?? 1);
      const [sum] = await tx`select coalesce(sum(allotted), 0)::bigint as allotted from promotion_allotments where promotion_id = ${id}`;
      const [mine] = await tx`select allotted from promotion_allotments where promotion_id = ${id} and terminal_id = ${terminal.terminalId}`;
      const myAllotted = mine ? Number(mine.allotted) : 0;
      const myDrawn = (await budgetDrawn(tx, [id], terminal.terminalId)).get(id)?.get(terminal.terminalId) ?? 0;
      const unspent = Math.max(0, myAllotted - myDrawn);
      if (unspent * 2 > target) return false;
      const grant = Math.min(target - unspent, total - Number(sum!.allotted));
      if (grant <= 0) return false;
      await tx`
        insert into promotion_allotments (promotion_id, terminal_id, allotted) values (${id}, ${terminal.terminalId}, ${grant})
        on conflict (promotion_id, terminal_id) do update set allotted = promotion_allotments.allotted + ${grant}, updated_at = now()`;
      // Pair assertion: what the rows say after the write is within the budget.
      const [after] = await tx`select coalesce(sum(allotted), 0)::bigint as allotted from promotion_allotments where promotion_id = ${id}`;
      invariant(Number(after!.allotted) <= total, `promotion ${id}: allotments ${after!.allotted} exceed the budget ${total}`);
      await recordChanges(tx, [{ kind: 'promotion', key: id }]);
      return true;
    });
    if (granted) changed.push(id as string);
  }
  return changed;
}

/**
 * What is wrong with the promotion part of a pushed sale, or null: each line's promotion shares
 * must add up to its gross less its amount (never more than its gross), and each promotion a
 * line names must be among the sale's uses, whose draws are whole and not negative. HQ counts
 * budgets and reports from these fields, so a sale that breaks them is quarantined, not counted.
 */
export function salePromotionProblem(sale: {
  lines: ReadonlyArray<{ lineNo: number; quantity: number; unitPriceMinor: number; amountMinor: number; promotions?: ReadonlyArray<{ promotionId: string; discountMinor: number }> }>;
  promotionUses?: ReadonlyArray<{ promotionId: string; memberUses: number; budgetDrawn: number; discountMinor: number }>;
}): string | null {
  const used = new Set((sale.promotionUses ?? []).map((u) => u.promotionId));
  for (const u of sale.promotionUses ?? []) {
    if (![u.memberUses, u.budgetDrawn, u.discountMinor].every((n) => Number.isSafeInteger(n) && n >= 0)) return `promotion ${u.promotionId}: uses, draws and discount must be whole and not negative`;
  }
  for (const l of sale.lines) {
    if (!l.promotions?.length) continue;
    const shares = l.promotions.reduce((s, p) => s + p.discountMinor, 0);
    const gross = l.quantity * l.unitPriceMinor;
    if (shares > gross || gross - shares !== l.amountMinor) return `line ${l.lineNo}: promotion shares ${shares} do not explain its amount ${l.amountMinor} of ${gross}`;
    const unknown = l.promotions.find((p) => !used.has(p.promotionId));
    if (unknown) return `line ${l.lineNo}: promotion ${unknown.promotionId} is not among the sale's promotion uses`;
  }
  return null;
}
