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
      const ledger = new LedgerTx(tx);
      await ledger.lockAccounts([hold.debit_account_id, hold.credit_account_id]);
      await ledger.loadTransfers([rebateTransferIds.hold(saleId), rebateTransferIds.post(saleId), rebateTransferIds.void(saleId)]);
      const pending = ledger.transfer(rebateTransferIds.hold(saleId))!;
      const left = r.left_minor as number;
      const settle: Transfer =
        left > 0
          ? { ...pending, id: rebateTransferIds.post(saleId), kind: 'post_pending', pendingId: pending.id, amount: left, timestamp: now, originTerminalId: null }
          : { ...pending, id: rebateTransferIds.void(saleId), kind: 'void_pending', pendingId: pending.id, timestamp: now, originTerminalId: null };
      const applied = await ledger.apply([settle], { atomic: true });
      invariant(applied.ok, `rebate of sale ${saleId} refused: ${applied.statuses.join(', ')}`);
      await tx`update rebates set state = ${left > 0 ? 'posted' : 'voided'} where sale_id = ${saleId}`;
      await tx`insert into audit_log (action, details) values ('rebate.matured', ${tx.json({ saleId, memberId: r.member_id, cardId: r.card_id, held: r.held_minor, posted: left })})`;
      await recordChanges(tx, [{ kind: 'balance', key: hold.credit_account_id as string }]);
      if (left > 0) posted++;
      else voided++;
    });
  }
  return { posted, voided };
}
