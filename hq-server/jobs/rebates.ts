import { cardBonusAccountId } from '../../core/accounts';
import { invariant } from '../../core/errors';
import type { Transfer } from '../../core/ledger';
import { recordChanges } from '../change-log';
import type { Sql } from '../database';
import { LedgerTx } from '../ledger';
import { rebateTransferIds } from '../push-events';

/**
 * Rebates (返利) whose waiting days are over: what is left of each held rebate (refunds inside
 * the window shrink it) is posted to the card's bonus; a rebate with nothing left is released.
 * Transfer ids derive from the sale, so a second run, or a second HQ instance, changes nothing.
 */
export async function postMaturedRebates(sql: Sql, now: number, batchSize = 500): Promise<{ posted: number; voided: number }> {
  const due = await sql`select sale_id from rebates where state = 'pending' and matures_at <= ${now} order by matures_at, sale_id limit ${batchSize}`;
  let posted = 0;
  let voided = 0;
  for (const { sale_id: saleId } of due) {
    await sql.begin(async (tx) => {
      const [r] = await tx`select * from rebates where sale_id = ${saleId} and state = 'pending' for update`;
      if (!r) return;
      const [hold] = await tx`select debit_account_id, credit_account_id from transfers where id = ${rebateTransferIds.hold(saleId)}`;
      invariant(hold, `rebate hold of sale ${saleId} is in the ledger`);
      // A card replaced since the sale: release the hold and credit the card that replaced it.
      const [current] = await tx`
        with recursive chain as (
          select id, replaced_by, 1 as depth from cards where id = ${r.card_id}
          union all select k.id, k.replaced_by, c.depth + 1 from chain c join cards k on k.id = c.replaced_by where c.depth < 20
        ) select id from chain where replaced_by is null order by depth desc limit 1`;
      const cardNow = (current?.id as string | undefined) ?? (r.card_id as string);
      const ledger = new LedgerTx(tx);
      await ledger.lockAccounts([hold.debit_account_id, hold.credit_account_id, cardBonusAccountId(cardNow)]);
      await ledger.loadTransfers([rebateTransferIds.hold(saleId), rebateTransferIds.post(saleId), rebateTransferIds.void(saleId)]);
      const pending = ledger.transfer(rebateTransferIds.hold(saleId))!;
      const left = r.left_minor as number;
      const release: Transfer = { ...pending, id: rebateTransferIds.void(saleId), kind: 'void_pending', pendingId: pending.id, timestamp: now, originTerminalId: null };
      let settle: Transfer[];
      if (left === 0) settle = [release];
      else if (cardNow === r.card_id) settle = [{ ...pending, id: rebateTransferIds.post(saleId), kind: 'post_pending', pendingId: pending.id, amount: left, timestamp: now, originTerminalId: null }];
      else {
        const bonus = cardBonusAccountId(cardNow);
        settle = [release, { ...pending, id: rebateTransferIds.post(saleId), kind: 'single', pendingId: null, creditAccountId: bonus, amount: left, timestamp: now, originTerminalId: null }];
      }
      const applied = await ledger.apply(settle, { atomic: true });
      invariant(applied.ok, `rebate of sale ${saleId} refused: ${applied.statuses.join(', ')}`);
      await tx`update rebates set state = ${left > 0 ? 'posted' : 'voided'} where sale_id = ${saleId}`;
      await tx`insert into audit_log (action, details) values ('rebate.matured', ${tx.json({ saleId, memberId: r.member_id, cardId: r.card_id, held: r.held_minor, posted: left })})`;
      await recordChanges(tx, applied.touched.filter((id) => id.startsWith('card:')).map((key) => ({ kind: 'balance' as const, key })));
      if (left > 0) posted++;
      else voided++;
    });
  }
  return { posted, voided };
}
