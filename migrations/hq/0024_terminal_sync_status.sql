-- What each terminal last told HQ about its own state: events not yet acknowledged and the
-- change-feed cursor it pulls from (cursor lag = the feed's newest seq minus this cursor).
alter table terminals add column outbox_depth bigint check (outbox_depth >= 0);
alter table terminals add column pull_cursor bigint check (pull_cursor >= 0);
alter table terminals add column sync_status_at timestamptz;
