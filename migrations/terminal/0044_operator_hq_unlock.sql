-- The last HQ unlock of each operator this till has seen (Unix ms, from the operator feed): a
-- later one lifts the PIN lock this till put on them.
ALTER TABLE operators ADD COLUMN hq_unlocked_at INTEGER NOT NULL DEFAULT 0;
