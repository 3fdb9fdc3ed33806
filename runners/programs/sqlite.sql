-- sqlite.sql - @rows rows inserted from a recursive query, two indexes
-- built, grouped and filtered queries, an update of a third of the rows:
--   sqlite3 -cmd '.parameter set @rows 300000' :memory: < sqlite.sql
-- The results depend on @rows only.
CREATE TABLE t(a INTEGER, b TEXT, c REAL);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < @rows)
INSERT INTO t SELECT x, printf('row-%08d-%s', x * 7, substr('abcdefghijklmnopqrstuvwxyz', 1, x % 26)),
	x / 7.0 FROM c;
CREATE INDEX ib ON t(b);
CREATE INDEX ic ON t(c);
SELECT count(*), sum(length(b)) FROM t WHERE b > 'row-0005';
SELECT a % 97 AS k, count(*), max(b) FROM t GROUP BY k ORDER BY k LIMIT 3;
UPDATE t SET b = b || '-u' WHERE a % 3 = 0;
SELECT count(DISTINCT substr(b, 1, 9)) FROM t;
