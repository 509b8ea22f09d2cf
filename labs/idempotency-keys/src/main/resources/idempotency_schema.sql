-- The idempotency-keys lab's tables. Statements are separated by blank lines; IdempotencySchema runs them in order.

-- region keys-table
-- One row per (tenant, method, route, client key): the claim, its lease, how far the request got, and the answer.
CREATE TABLE IF NOT EXISTS idempotency_keys (
    id               bigserial PRIMARY KEY,
    tenant           text NOT NULL,
    method           text NOT NULL,
    route            text NOT NULL,                  -- the route template, e.g. /payments
    idempotency_key  text NOT NULL,
    fingerprint      bytea NOT NULL,                 -- SHA-256 of method, route and canonical JSON body
    request_params   jsonb NOT NULL,                 -- what the completer needs to finish the request
    recovery_point   text NOT NULL DEFAULT 'started' CHECK (recovery_point IN ('started', 'charge_created', 'finished')),
    lease_token      bigint NOT NULL DEFAULT 1,      -- the fencing token: +1 on every take-over
    locked_until     timestamptz,                    -- database clock; NULL when finished or released
    response_status  int,
    response_headers jsonb,                          -- the allow-listed headers only
    response_body    bytea,                          -- the bytes sent, replayed as they are
    created_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    last_run_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    CONSTRAINT idempotency_keys_scope UNIQUE (tenant, method, route, idempotency_key),
    CONSTRAINT idempotency_keys_answer CHECK ((recovery_point = 'finished') = (response_status IS NOT NULL))
)
-- endregion

-- The reaper deletes the oldest keys first.
CREATE INDEX IF NOT EXISTS idempotency_keys_created_at ON idempotency_keys (created_at)

-- The completer looks for unfinished keys whose lease ran out.
CREATE INDEX IF NOT EXISTS idempotency_keys_unfinished ON idempotency_keys (locked_until) WHERE recovery_point <> 'finished'

-- A charged payment. It points at its key, and survives the key's reaping (ON DELETE SET NULL). One payment per key.
CREATE TABLE IF NOT EXISTS payments (
    id                 bigserial PRIMARY KEY,
    tenant             text NOT NULL,
    amount             bigint NOT NULL CHECK (amount > 0),
    currency           text NOT NULL,
    destination        text NOT NULL,
    provider_charge_id text NOT NULL,
    idempotency_key_id bigint REFERENCES idempotency_keys (id) ON DELETE SET NULL,
    created_at         timestamptz NOT NULL DEFAULT clock_timestamp(),
    CONSTRAINT payments_one_per_key UNIQUE (idempotency_key_id)
)

-- Side outputs (a receipt e-mail), staged in the transaction that reaches the recovery point they belong to.
-- Deliberately without a unique key: a second finish of the same key would show up as a second receipt.
CREATE TABLE IF NOT EXISTS staged_jobs (
    id         bigserial PRIMARY KEY,
    job_name   text NOT NULL,
    job_args   jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp()
)

-- A payment intent: a local-only write (no provider), served by the single-transaction fast path.
CREATE TABLE IF NOT EXISTS payment_intents (
    id                 bigserial PRIMARY KEY,
    tenant             text NOT NULL,
    amount             bigint NOT NULL CHECK (amount > 0),
    currency           text NOT NULL,
    destination        text NOT NULL,
    idempotency_key_id bigint REFERENCES idempotency_keys (id) ON DELETE SET NULL,
    created_at         timestamptz NOT NULL DEFAULT clock_timestamp()
)

CREATE INDEX IF NOT EXISTS payment_intents_key ON payment_intents (idempotency_key_id)
