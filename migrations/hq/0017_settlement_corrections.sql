-- A correction line names the confirmed statement it corrects, so a difference found later is
-- carried once (into the next statement generated), never again.
alter table settlement_lines add column corrects_statement_id text references settlement_statements (id);
create index settlement_lines_corrects on settlement_lines (corrects_statement_id) where corrects_statement_id is not null;
