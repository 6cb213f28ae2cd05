-- bench/store-plans.sql: EXPLAIN (ANALYZE, BUFFERS) of the paging and
-- ingest statements on PostgreSQL, as the store sends them (the text of
-- store/objects.c and store/put_pg.c after store_pg_sql), run by
-- bench/run-store against its loaded node (psql -v coll=PK). Writes are
-- explained inside a transaction that is rolled back.
\pset pager off
SELECT count(*) AS objects FROM objects;
-- a cursor in the middle of the collection, and 1000 stored (id, version)
SELECT date_added AS mid_added, rowid AS mid_rowid FROM objects
  WHERE coll = :coll ORDER BY date_added, rowid
  OFFSET (SELECT count(*) / 2 FROM objects WHERE coll = :coll) LIMIT 1 \gset
SELECT array_agg(id)::text AS ids, array_agg(version_us)::text AS vers
  FROM (SELECT id, version_us FROM objects WHERE coll = :coll
        ORDER BY rowid DESC LIMIT 1000) s \gset

\echo '== page: the first page (store_query_objects, limit 100 + 1)'
PREPARE page0(int8, int8) AS SELECT rowid, date_added, id, version,
  spec_version, json, origin, via, restricted FROM objects WHERE coll = $1
  AND (1 = 0 OR is_last = 1) ORDER BY date_added, rowid LIMIT $2;
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) EXECUTE page0(:coll, 101);

\echo '== page: after a next token in the middle'
PREPARE page1(int8, int8, int8, int8, int8) AS SELECT rowid, date_added, id,
  version, spec_version, json, origin, via, restricted FROM objects
  WHERE coll = $1 AND date_added >= $2 AND (date_added > $3 OR rowid > $4)
  AND (1 = 0 OR is_last = 1) ORDER BY date_added, rowid LIMIT $5;
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
  EXECUTE page1(:coll, :mid_added, :mid_added, :mid_rowid, 101);

\echo '== ingest: the look-up of 1000 stored (id, version) (put_pg.c batch_lookup)'
PREPARE lookup(int8, text[], int8[]) AS SELECT u.ord, r.mn, r.mx,
  CASE WHEN r.hit THEN 1 ELSE 0 END,
  CASE WHEN u.v IS NULL THEN (SELECT o.json FROM objects o
   WHERE o.coll = $1 AND o.id = u.id AND o.is_last = 1 LIMIT 1) END
  FROM unnest($2::text[], $3::int8[]) WITH ORDINALITY AS u(id, v, ord),
  LATERAL (SELECT min(o.version_us) AS mn, max(o.version_us) AS mx,
   bool_or(o.version_us = u.v) AS hit
   FROM objects o WHERE o.coll = $1 AND o.id = u.id) AS r;
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) EXECUTE lookup(:coll, :'ids', :'vers');

BEGIN;
\echo '== ingest: the flags of 1000 ids (put_pg.c batch_unflag)'
PREPARE unlast(int8, text[]) AS UPDATE objects SET is_last = 0
  WHERE coll = $1 AND id = ANY($2::text[]) AND is_last = 1;
-- the generic plan, as the store's statement has after five runs (a
-- custom plan would print the 1000 ids)
SET LOCAL plan_cache_mode = force_generic_plan;
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) EXECUTE unlast(:coll, :'ids');
RESET plan_cache_mode;

\echo '== ingest: 1000 rows into objects (put_pg.c batch_insert, new versions of the same ids)'
-- the collection checked and key-share locked once (migration 25: no
-- foreign key checked row by row)
PREPARE ins(int8, text[]) AS INSERT INTO objects(coll, id, type, spec_version,
  version, version_us, date_added, is_first, is_last, json, restricted, lane)
  SELECT c.pk, u.id, 'indicator', '2.1', '2030-01-01T00:00:00Z',
  1893456000000000, (SELECT last FROM clock) + u.ord, 0, 1, '{}', 0, 0
  FROM (SELECT pk FROM collections WHERE pk = $1 FOR KEY SHARE) AS c,
  unnest($2::text[]) WITH ORDINALITY AS u(id, ord);
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) EXECUTE ins(:coll, :'ids');
ROLLBACK;

\echo '== ingest: the rowids of 1000 new objects (put_pg.c batch_rowids)'
BEGIN;
EXPLAIN (ANALYZE, COSTS OFF) WITH q AS MATERIALIZED (SELECT
  pg_get_serial_sequence('objects', 'rowid')::regclass AS seq)
  SELECT nextval(q.seq) FROM q, generate_series(1, 1000) ORDER BY 1;
ROLLBACK;
-- HOT updates of objects so far (fillfactor 70 since migration 25)
SELECT n_tup_upd, n_tup_hot_upd, pg_size_pretty(pg_relation_size('objects')) AS heap
  FROM pg_stat_user_tables WHERE relname = 'objects';
