package dev.backendlabs.pooling;

/**
 * A request that reads from the database, calls a remote service with what it read, and writes
 * the reply back: where the call sits relative to the transaction is the whole difference between
 * {@link CallInsideTransaction} and {@link CallBetweenTransactions}.
 */
public interface RemoteCallFlow {

    /** Runs {@code read}, then {@code call} with its result, then {@code write} with the reply; returns the reply. */
    <R, T> T execute(SqlStep<Void, R> read, RemoteCall<R, T> call, SqlStep<T, ?> write) throws Exception;
}
