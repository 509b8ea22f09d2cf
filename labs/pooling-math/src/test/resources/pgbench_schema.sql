-- The pgbench tables, TPC-B shape, and pgbench's built-in transaction as one function, recreated
-- and loaded by PgbenchWorkload. Statements are separated by blank lines; a ? is the number of
-- branches. Each branch has 10 tellers and 10,000 accounts (pgbench has 100,000): small enough to
-- load in about a second, and every row is in shared buffers, so the workload waits on CPU, locks
-- and commits, not on reads.

DROP TABLE IF EXISTS pgbench_history, pgbench_tellers, pgbench_accounts, pgbench_branches

CREATE TABLE pgbench_branches (bid int PRIMARY KEY, bbalance int NOT NULL, filler char(88))

CREATE TABLE pgbench_tellers (tid int PRIMARY KEY, bid int NOT NULL, tbalance int NOT NULL, filler char(84))

CREATE TABLE pgbench_accounts (aid int PRIMARY KEY, bid int NOT NULL, abalance int NOT NULL, filler char(84))

CREATE TABLE pgbench_history (tid int, bid int, aid int, delta int, mtime timestamp, filler char(22))

INSERT INTO pgbench_branches (bid, bbalance) SELECT b, 0 FROM generate_series(1, ?) b

INSERT INTO pgbench_tellers (tid, bid, tbalance) SELECT t, (t - 1) / 10 + 1, 0 FROM generate_series(1, ? * 10) t

INSERT INTO pgbench_accounts (aid, bid, abalance) SELECT a, (a - 1) / 10000 + 1, 0 FROM generate_series(1, ? * 10000) a

-- pgbench's TPC-B-like script, statement for statement, run inside the server: one round trip
-- instead of five, so that a connection's hold time is the database's work, not the client's
-- wake-ups between statements (see the README: sent one by one, the knee moves right).
CREATE OR REPLACE FUNCTION pgbench_tpcb(p_aid int, p_tid int, p_bid int, p_delta int) RETURNS int LANGUAGE plpgsql AS $$
DECLARE
    balance int;
BEGIN
    UPDATE pgbench_accounts SET abalance = abalance + p_delta WHERE aid = p_aid;
    SELECT abalance INTO balance FROM pgbench_accounts WHERE aid = p_aid;
    UPDATE pgbench_tellers SET tbalance = tbalance + p_delta WHERE tid = p_tid;
    UPDATE pgbench_branches SET bbalance = bbalance + p_delta WHERE bid = p_bid;
    INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (p_tid, p_bid, p_aid, p_delta, CURRENT_TIMESTAMP);
    RETURN balance;
END
$$

-- Commits of the lab's database do not wait for the WAL flush. This VM's disk takes about 5 ms
-- per flush, which would make every experiment measure the disk (and the group commit that many
-- waiting sessions get) instead of the pool; the README shows the sweep with the flush on.
DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET synchronous_commit = off', current_database()); END $$

VACUUM ANALYZE pgbench_branches, pgbench_tellers, pgbench_accounts, pgbench_history
