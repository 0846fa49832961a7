-- A hold reserves stored value (principal/bonus legs) or a member's points (one leg).
alter table holds add column asset text not null default 'stored_value' check (asset in ('stored_value', 'points'));
