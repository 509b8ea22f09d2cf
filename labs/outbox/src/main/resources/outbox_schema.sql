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

-- Records the consumer could not apply and stepped over, so that one bad record does not block
-- every record behind it: no usable event_id header, a payload that is not a JSON object, a key or
-- value the effect's columns refuse. One row per record and logical consumer: a redelivered poison
-- record is not dead-lettered twice. Key, value and headers are kept as bytes, because a text
-- column refuses some of what a broken producer can send (a NUL character): key and value as the
-- consumer decoded them, re-encoded in UTF-8; headers as "name: value" lines with the raw value
-- bytes. Read them with convert_from(record_value, 'UTF8').
CREATE TABLE IF NOT EXISTS dead_letters (
    consumer         text NOT NULL,
    topic            text NOT NULL,
    partition_no     int NOT NULL,
    record_offset    bigint NOT NULL,
    error            text NOT NULL,
    record_key       bytea,
    record_value     bytea,
    headers          bytea,
    dead_lettered_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (consumer, topic, partition_no, record_offset)
)
