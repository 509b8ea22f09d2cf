-- The outbox lab's tables. Statements are separated by blank lines; OutboxSchema runs them in order.

CREATE TABLE IF NOT EXISTS orders (
    id           uuid PRIMARY KEY,
    customer_id  text NOT NULL,
    amount_cents bigint NOT NULL CHECK (amount_cents > 0),
    created_at   timestamptz NOT NULL DEFAULT now()
)

-- Written in the same transaction as the business row. `id` orders events; `partition_no`
-- (a hash of the aggregate id) decides which relay may publish them, so that one aggregate's
-- events always go out through one relay at a time, in id order.
CREATE TABLE IF NOT EXISTS outbox (
    id             bigserial PRIMARY KEY,
    event_id       uuid NOT NULL UNIQUE,
    aggregate_type text NOT NULL,
    aggregate_id   text NOT NULL,
    event_type     text NOT NULL,
    payload        jsonb NOT NULL,
    partition_no   int NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT clock_timestamp()
)

CREATE INDEX IF NOT EXISTS outbox_partition_id ON outbox (partition_no, id)

-- The consumer's record of what it has applied, written in the same transaction as the effect.
CREATE TABLE IF NOT EXISTS inbox (
    consumer     text NOT NULL,
    event_id     uuid NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
)

-- The consumer's side effect: one row per applied event, deliberately without a unique key so
-- that a second application of the same event would show up as a second row.
CREATE TABLE IF NOT EXISTS effects (
    applied_no   bigserial PRIMARY KEY,  -- the order effects were applied in (not a wall clock, which can step)
    event_id     uuid NOT NULL,
    aggregate_id text NOT NULL,
    sequence_no  bigint,
    applied_at   timestamptz NOT NULL DEFAULT clock_timestamp()
)
