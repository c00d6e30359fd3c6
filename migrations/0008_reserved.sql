-- Placeholder for migration 8, which is reserved for work on another branch: the runner wants
-- versions 1..n without gaps, and this branch needs its 0009. At merge, the reserved 0008 takes
-- this file's place and this file is deleted; it changes nothing, so no database depends on it.
select 1;
