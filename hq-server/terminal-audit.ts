import type { Transfer } from '../core/ledger';
import type { OperatorAuditEntry } from '../protocols/sync/v1/codec';
import { audit } from './audit';
import type { Db } from './database';
import { Quarantine } from './quarantine';
import type { TerminalIdentity } from './terminals';

/**
 * An operator_audit event (a PIN lock, an unlock, a supervisor override, a shift opened or closed
 * at a till) becomes a row of HQ's append-only audit log, under the terminal and its store, with
 * the action prefixed `till.` (till.override.granted …). It moves no money: transfers are refused.
 */
export async function recordTerminalAudit(tx: Db, entry: OperatorAuditEntry, transfers: readonly Transfer[], terminal: TerminalIdentity): Promise<void> {
  if (transfers.length > 0) throw new Quarantine(`an operator audit event carries no transfers, got ${transfers.length}`);
  await audit(
    tx,
    { operatorId: entry.operatorId, nodeId: terminal.storeId, terminalId: terminal.terminalId, role: null },
    {
      action: `till.${entry.action}`,
      entityKind: 'operator',
      entityId: entry.operatorId,
      details: { eventId: entry.id, at: entry.at, supervisorId: entry.supervisorId, permission: entry.permission, method: entry.method, ...entry.details },
    },
  );
}
