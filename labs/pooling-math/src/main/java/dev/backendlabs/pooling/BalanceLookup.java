package dev.backendlabs.pooling;

import java.sql.SQLException;
import java.util.OptionalLong;

/** Reads an account's balance; empty when the account does not exist. */
public interface BalanceLookup {

    OptionalLong balance(int accountId) throws SQLException;
}
