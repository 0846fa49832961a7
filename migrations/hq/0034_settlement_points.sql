-- Points a store accepted as payment (积分抵现) are funded by the chain: HQ pays the store their
-- value. Settlement lines carry it next to the stored-value figures (0 on lines made before).
alter table settlement_lines add column points_reimbursed_minor bigint not null default 0;
