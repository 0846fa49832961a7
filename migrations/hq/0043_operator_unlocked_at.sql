-- When an administrator last unlocked the account (operator.manage). The operator feed carries it,
-- and a till that locked the operator after wrong PINs lifts its own lock when it changes.
alter table operators add column unlocked_at timestamptz;
