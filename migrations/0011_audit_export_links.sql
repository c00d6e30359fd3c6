-- launchproof schema, version 11: the download links of audit exports (docs/transparency-log.md,
-- Audit export).
--
-- Each export gets a random key of its own that signs its download links (HMAC-SHA-256 over the
-- tenant, the export and the link's expiry). It opens exactly this row's package, which whoever
-- can read the row can read already, so it is kept beside the package rather than sealed; it is
-- never derived from the key-encryption key, so no link says anything about the KEK or opens
-- another export. Written with the request; rows from before have none and no link opens them.
alter table audit_exports add column link_key bytea check (octet_length(link_key) = 32);

-- audit_exports keeps the row-level security and the grants of migration 10: a new column of a
-- table is covered by its table's policy and by table-wide privileges, so nothing else is stated.
