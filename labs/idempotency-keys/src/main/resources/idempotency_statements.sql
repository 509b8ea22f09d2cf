-- The statements of the idempotency-keys lab, one per region; SqlStatements loads them by region name.
-- Every time comes from the database clock (clock_timestamp(), not now(), which is the start of the transaction),
-- so that the leases of every application instance are judged by one clock.

-- region claim
-- The only arbiter: whoever inserts the row owns the key. A loser gets no row back and reads the winner's.
INSERT INTO idempotency_keys (tenant, method, route, idempotency_key, fingerprint, request_params, locked_until)
VALUES (?, ?, ?, ?, ?, ?::jsonb, clock_timestamp() + ? * interval '1 millisecond')
ON CONFLICT ON CONSTRAINT idempotency_keys_scope DO NOTHING
RETURNING id, lease_token
-- endregion

-- region find
SELECT id, fingerprint, recovery_point, lease_token, coalesce(locked_until > clock_timestamp(), false) AS locked,
       response_status, response_headers::text, response_body
  FROM idempotency_keys
 WHERE tenant = ? AND method = ? AND route = ? AND idempotency_key = ?
-- endregion

-- region take-over
-- A key that is neither finished nor leased (released after an error, or its owner died): a new owner,
-- a new fencing token. The old owner's token no longer matches anything it tries to write.
UPDATE idempotency_keys
   SET lease_token = lease_token + 1,
       locked_until = clock_timestamp() + ? * interval '1 millisecond',
       last_run_at = clock_timestamp()
 WHERE id = ? AND lease_token = ? AND recovery_point <> 'finished'
   AND (locked_until IS NULL OR locked_until <= clock_timestamp())
RETURNING lease_token, recovery_point
-- endregion

-- region advance
-- Fenced: only the holder of the current token moves the key on (and renews its lease).
UPDATE idempotency_keys
   SET recovery_point = ?, locked_until = clock_timestamp() + ? * interval '1 millisecond', last_run_at = clock_timestamp()
 WHERE id = ? AND lease_token = ?
-- endregion

-- region finish
UPDATE idempotency_keys
   SET recovery_point = 'finished', response_status = ?, response_headers = ?::jsonb, response_body = ?,
       locked_until = NULL, last_run_at = clock_timestamp()
 WHERE id = ? AND lease_token = ?
-- endregion

-- region release
-- After a transient failure: unlocked, recovery point kept, so that a retry with the same key resumes at once.
UPDATE idempotency_keys SET locked_until = NULL WHERE id = ? AND lease_token = ?
-- endregion

-- region record-charge
INSERT INTO payments (tenant, amount, currency, destination, provider_charge_id, idempotency_key_id)
VALUES (?, ?, ?, ?, ?, ?)
RETURNING id
-- endregion

-- region find-payment
SELECT id, amount, currency, destination, provider_charge_id FROM payments WHERE idempotency_key_id = ?
-- endregion

-- region stage-receipt
INSERT INTO staged_jobs (job_name, job_args) VALUES ('send_payment_receipt', jsonb_build_object('payment_id', ?::bigint))
-- endregion

-- region insert-intent
INSERT INTO payment_intents (tenant, amount, currency, destination, idempotency_key_id)
VALUES (?, ?, ?, ?, ?)
RETURNING id
-- endregion

-- region stuck
-- Keys whose owner stopped (a crash) and whose lease has run out by more than the idle time. A released key
-- (locked_until NULL) is not stuck: its client was told to retry, and nothing is half done.
SELECT id, lease_token, tenant, idempotency_key, request_params::text
  FROM idempotency_keys
 WHERE recovery_point <> 'finished' AND method = ? AND route = ?
   AND locked_until < clock_timestamp() - ? * interval '1 millisecond'
 ORDER BY locked_until
 LIMIT ?
-- endregion

-- region reap
-- One batch per transaction: old keys first, never a key under lease, and never a row another transaction
-- holds (SKIP LOCKED): the reaper does not wait for claims, and claims of new keys never touch its rows.
DELETE FROM idempotency_keys
 WHERE id IN (SELECT id FROM idempotency_keys
               WHERE created_at < clock_timestamp() - ? * interval '1 millisecond'
                 AND (locked_until IS NULL OR locked_until < clock_timestamp())
               ORDER BY created_at
               LIMIT ?
                 FOR UPDATE SKIP LOCKED)
-- endregion

-- region naive-find
SELECT response_status, response_headers::text, response_body
  FROM idempotency_keys
 WHERE tenant = ? AND method = ? AND route = ? AND idempotency_key = ?
-- endregion

-- region naive-insert
INSERT INTO idempotency_keys (tenant, method, route, idempotency_key, fingerprint, request_params, recovery_point,
                              response_status, response_headers, response_body)
VALUES (?, ?, ?, ?, ?, ?::jsonb, 'finished', ?, ?::jsonb, ?)
RETURNING id
-- endregion
