-- launchproof schema, version 9: status slots in a secret order instead of searched at random.
-- A list used to give each credential a random free slot, found by probing and, near the end,
-- by scanning the list: issuance slowed as lists filled and history grew. Now each list has a
-- secret key, and its n-th allocation takes slot status_slot_index(key, n, size): a keyed
-- permutation of [0, size), so slots are still spread over the whole list in an order only the
-- key reveals, and no allocation ever looks at the slots already taken.

-- The keyed permutation: a ten-round Feistel network over the smallest power of two holding
-- `size` (halves of floor and ceil of its bits, so 131,072 needs no walking), with SHA-256 of
-- the key, the round and the half as the round function, cycle-walked back into [0, size).
-- Immutable: a list's order must never change once slots have been handed out in it.
create function status_slot_index(slot_key bytea, n integer, size integer) returns integer
language plpgsql immutable strict parallel safe as $$
declare
  bits integer := 1;
  a integer;
  c integer;
  ma integer;
  mc integer;
  x integer := n;
  d bytea;
begin
  if n < 0 or n >= size then
    raise exception 'status slot number % is outside [0, %)', n, size;
  end if;
  while (1 << bits) < size loop
    bits := bits + 1;
  end loop;
  -- x is `a` high bits over `c` low bits at even rounds and `c` over `a` at odd ones.
  a := bits / 2;
  c := bits - a;
  ma := (1 << a) - 1;
  mc := (1 << c) - 1;
  loop
    for pair in 0..4 loop
      d := sha256(slot_key || int4send(2 * pair) || int4send(x & mc));
      x := ((x & mc) << a) | (((x >> c) # ((get_byte(d, 0) << 16) | (get_byte(d, 1) << 8) | get_byte(d, 2))) & ma);
      d := sha256(slot_key || int4send(2 * pair + 1) || int4send(x & ma));
      x := ((x & ma) << c) | (((x >> a) # ((get_byte(d, 0) << 16) | (get_byte(d, 1) << 8) | get_byte(d, 2))) & mc);
    end loop;
    -- Cycle-walking: a permutation's cycle through n comes back below `size`, so this ends.
    exit when x < size;
  end loop;
  return x;
end
$$;

-- 32 bytes (244 of them random, from the server's strong source) per list. Existing lists get
-- their own key here: a volatile default is evaluated for each row.
alter table status_lists add column slot_key bytea not null
  default decode(replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), 'hex')
  check (octet_length(slot_key) = 32);

-- How far each list's allocation has come, in stripes: stripe s hands out the numbers of its
-- own range [next_n, stop_n), one per issuance. Several stripes per list so that concurrent
-- issuances of one tenant each lock a different row (SKIP LOCKED) instead of queueing on one
-- counter until the first commits. Only open lists have cursors; a closed list's are deleted.
-- Half-filled pages leave room for the in-place (HOT) updates that every issuance makes.
create table status_list_cursors (
  tenant_id  text not null,
  list_id    text not null,
  stripe     smallint not null check (stripe >= 0),
  next_n     integer not null,
  stop_n     integer not null,
  primary key (tenant_id, list_id, stripe),
  foreign key (tenant_id, list_id) references status_lists (tenant_id, id),
  check (0 <= next_n and next_n <= stop_n)
) with (fillfactor = 50);

alter table status_list_cursors enable row level security;
alter table status_list_cursors force row level security;
create policy tenant_isolation on status_list_cursors
  using (tenant_id = current_setting('app.tenant_id', true) or current_setting('app.all_tenants', true) = 'on')
  with check (tenant_id = current_setting('app.tenant_id', true) or current_setting('app.all_tenants', true) = 'on');
-- Stated, not left to the default privileges of migration 7: those bind only the role that ran it.
grant select, insert, update, delete on status_list_cursors to launchproof_tenant;

-- Open lists filled at random before this version keep serving: the allocator gives them
-- cursors on first use, and a number whose slot was taken at random is skipped. That costs
-- 1 / (1 - fill) claims per issuance, so a list already half full or more is closed instead
-- (its free slots go unused: capacity, not privacy) and the tenant's next issuance opens a new one.
select set_config('app.all_tenants', 'on', true);
update status_lists l set full_at = now()
 where l.full_at is null
   and (select count(*) from status_slots s where s.tenant_id = l.tenant_id and s.list_id = l.id) * 2 >= l.size;
