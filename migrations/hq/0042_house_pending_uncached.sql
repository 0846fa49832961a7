-- Pending totals are cached only on accounts with a limit (hq-server/ledger.ts cachesPending):
-- a limit-free house account (a store's sales, the chain's points) takes every hold of its store
-- or chain, and a cached total there made them all queue on its row. Its pending total is the
-- sum of its pending transfers; what was cached until now is dropped.
update accounts set debits_pending = 0, credits_pending = 0
where not debits_must_not_exceed_credits and (debits_pending <> 0 or credits_pending <> 0);
