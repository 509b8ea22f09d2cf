package dev.backendlabs.pooling;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * Statements on {@code connection}, inside a transaction the caller commits.
 *
 * @param <I> what the step works with
 * @param <O> what it returns
 */
@FunctionalInterface
public interface SqlStep<I, O> {

    O apply(Connection connection, I input) throws SQLException;
}
