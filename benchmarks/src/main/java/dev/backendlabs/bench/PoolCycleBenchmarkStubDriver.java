package dev.backendlabs.bench;

import java.io.InputStream;
import java.io.Reader;
import java.math.BigDecimal;
import java.net.URL;
import java.sql.Array;
import java.sql.Blob;
import java.sql.CallableStatement;
import java.sql.Clob;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.Date;
import java.sql.Driver;
import java.sql.DriverManager;
import java.sql.DriverPropertyInfo;
import java.sql.NClob;
import java.sql.ParameterMetaData;
import java.sql.PreparedStatement;
import java.sql.Ref;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.RowId;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.sql.SQLXML;
import java.sql.Savepoint;
import java.sql.Statement;
import java.sql.Struct;
import java.sql.Time;
import java.sql.Timestamp;
import java.util.Calendar;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Executor;
import java.util.logging.Logger;

/**
 * The JDBC driver of {@link PoolCycleBenchmark}: URL {@code jdbc:stub}, connections and
 * statements that do nothing and keep only the state pools read and reset (auto-commit,
 * isolation, read-only, closed), as HikariCP-benchmark's stubs do, so that a
 * getConnection/close or prepare/execute/close cycle measures the pool and nothing behind it.
 * Whatever a pool does not call throws {@link UnsupportedOperationException}.
 */
public final class PoolCycleBenchmarkStubDriver implements Driver {

    public static final String URL = "jdbc:stub";

    static {
        try {
            DriverManager.registerDriver(new PoolCycleBenchmarkStubDriver());
        } catch (SQLException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Registers the driver with {@link DriverManager} (class initialization does it once). */
    public static void register() {
        // Loading the class runs the static initializer.
    }

    @Override
    public Connection connect(String url, Properties info) {
        return acceptsURL(url) ? new StubConnection() : null;
    }

    @Override
    public boolean acceptsURL(String url) {
        return url != null && url.startsWith(URL);
    }

    @Override
    public DriverPropertyInfo[] getPropertyInfo(String url, Properties info) {
        return new DriverPropertyInfo[0];
    }

    @Override
    public int getMajorVersion() {
        return 1;
    }

    @Override
    public int getMinorVersion() {
        return 0;
    }

    @Override
    public boolean jdbcCompliant() {
        return false;
    }

    @Override
    public Logger getParentLogger() {
        return Logger.getLogger(PoolCycleBenchmarkStubDriver.class.getName());
    }

    private static UnsupportedOperationException unsupported() {
        return new UnsupportedOperationException("the stub driver does not implement this");
    }

    /** A connection that remembers the state a pool sets and resets. */
    static final class StubConnection implements Connection {

        private boolean autoCommit = true;
        private boolean readOnly;
        private boolean closed;
        private int isolation = TRANSACTION_READ_COMMITTED;

        @Override
        public Statement createStatement() {
            return new StubStatement(this);
        }

        @Override
        public Statement createStatement(int a0, int a1) {
            return new StubStatement(this);
        }

        @Override
        public Statement createStatement(int a0, int a1, int a2) {
            return new StubStatement(this);
        }

        @Override
        public PreparedStatement prepareStatement(String a0) {
            return new StubStatement(this);
        }

        @Override
        public PreparedStatement prepareStatement(String a0, int a1) {
            return new StubStatement(this);
        }

        @Override
        public PreparedStatement prepareStatement(String a0, int[] a1) {
            return new StubStatement(this);
        }

        @Override
        public PreparedStatement prepareStatement(String a0, String[] a1) {
            return new StubStatement(this);
        }

        @Override
        public PreparedStatement prepareStatement(String a0, int a1, int a2) {
            return new StubStatement(this);
        }

        @Override
        public PreparedStatement prepareStatement(String a0, int a1, int a2, int a3) {
            return new StubStatement(this);
        }

        @Override
        public void close() {
            closed = true;
        }

        @Override
        public boolean isClosed() {
            return closed;
        }

        @Override
        public void setAutoCommit(boolean value) {
            autoCommit = value;
        }

        @Override
        public boolean getAutoCommit() {
            return autoCommit;
        }

        @Override
        public void commit() {
        }

        @Override
        public void rollback() {
        }

        @Override
        public void rollback(Savepoint savepoint) {
        }

        @Override
        public boolean isValid(int timeout) {
            return !closed;
        }

        @Override
        public int getTransactionIsolation() {
            return isolation;
        }

        @Override
        public void setTransactionIsolation(int level) {
            isolation = level;
        }

        @Override
        public void clearWarnings() {
        }

        @Override
        public SQLWarning getWarnings() {
            return null;
        }

        @Override
        public boolean isReadOnly() {
            return readOnly;
        }

        @Override
        public void setReadOnly(boolean value) {
            readOnly = value;
        }

        @Override
        public int getNetworkTimeout() {
            return 0;
        }

        @Override
        public int getHoldability() {
            return ResultSet.HOLD_CURSORS_OVER_COMMIT;
        }

        @Override
        public <T> T unwrap(Class<T> type) throws SQLException {
            throw new SQLException("not a wrapper");
        }

        @Override
        public boolean isWrapperFor(Class<?> type) {
            return false;
        }

        @Override
        public void abort(Executor a0) {
        }

        @Override
        public Array createArrayOf(String a0, Object[] a1) {
            throw unsupported();
        }

        @Override
        public Blob createBlob() {
            throw unsupported();
        }

        @Override
        public Clob createClob() {
            throw unsupported();
        }

        @Override
        public NClob createNClob() {
            throw unsupported();
        }

        @Override
        public SQLXML createSQLXML() {
            throw unsupported();
        }

        @Override
        public Struct createStruct(String a0, Object[] a1) {
            throw unsupported();
        }

        @Override
        public String getCatalog() {
            throw unsupported();
        }

        @Override
        public Properties getClientInfo() {
            throw unsupported();
        }

        @Override
        public String getClientInfo(String a0) {
            throw unsupported();
        }

        @Override
        public DatabaseMetaData getMetaData() {
            throw unsupported();
        }

        @Override
        public String getSchema() {
            throw unsupported();
        }

        @Override
        public Map<String, Class<?>> getTypeMap() {
            throw unsupported();
        }

        @Override
        public String nativeSQL(String a0) {
            throw unsupported();
        }

        @Override
        public CallableStatement prepareCall(String a0) {
            throw unsupported();
        }

        @Override
        public CallableStatement prepareCall(String a0, int a1, int a2) {
            throw unsupported();
        }

        @Override
        public CallableStatement prepareCall(String a0, int a1, int a2, int a3) {
            throw unsupported();
        }

        @Override
        public void releaseSavepoint(Savepoint a0) {
        }

        @Override
        public void setCatalog(String a0) {
        }

        @Override
        public void setClientInfo(Properties a0) {
        }

        @Override
        public void setClientInfo(String a0, String a1) {
        }

        @Override
        public void setHoldability(int a0) {
        }

        @Override
        public void setNetworkTimeout(Executor a0, int a1) {
        }

        @Override
        public Savepoint setSavepoint() {
            throw unsupported();
        }

        @Override
        public Savepoint setSavepoint(String a0) {
            throw unsupported();
        }

        @Override
        public void setSchema(String a0) {
        }

        @Override
        public void setTypeMap(Map<String, Class<?>> a0) {
        }
    }

    /** A statement whose execution does nothing. */
    static final class StubStatement implements PreparedStatement {

        private final Connection connection;
        private boolean closed;
        private int queryTimeout;

        StubStatement(Connection connection) {
            this.connection = connection;
        }

        @Override
        public boolean execute() {
            return false;
        }

        @Override
        public boolean execute(String a0) {
            return false;
        }

        @Override
        public boolean execute(String a0, int a1) {
            return false;
        }

        @Override
        public boolean execute(String a0, int[] a1) {
            return false;
        }

        @Override
        public boolean execute(String a0, String[] a1) {
            return false;
        }

        @Override
        public int executeUpdate() {
            return 1;
        }

        @Override
        public int executeUpdate(String a0) {
            return 1;
        }

        @Override
        public int executeUpdate(String a0, int a1) {
            return 1;
        }

        @Override
        public int executeUpdate(String a0, int[] a1) {
            return 1;
        }

        @Override
        public int executeUpdate(String a0, String[] a1) {
            return 1;
        }

        @Override
        public ResultSet executeQuery() {
            throw unsupported();
        }

        @Override
        public ResultSet executeQuery(String a0) {
            throw unsupported();
        }

        @Override
        public void close() {
            closed = true;
        }

        @Override
        public boolean isClosed() {
            return closed;
        }

        @Override
        public Connection getConnection() {
            return connection;
        }

        @Override
        public void clearWarnings() {
        }

        @Override
        public SQLWarning getWarnings() {
            return null;
        }

        @Override
        public void setQueryTimeout(int seconds) {
            queryTimeout = seconds;
        }

        @Override
        public int getQueryTimeout() {
            return queryTimeout;
        }

        @Override
        public int getUpdateCount() {
            return -1;
        }

        @Override
        public ResultSet getResultSet() {
            return null;
        }

        @Override
        public boolean getMoreResults() {
            return false;
        }

        @Override
        public boolean getMoreResults(int a0) {
            return false;
        }

        @Override
        public void clearParameters() {
        }

        @Override
        public <T> T unwrap(Class<T> type) throws SQLException {
            throw new SQLException("not a wrapper");
        }

        @Override
        public boolean isWrapperFor(Class<?> type) {
            return false;
        }

        @Override
        public void addBatch() {
        }

        @Override
        public void addBatch(String a0) {
        }

        @Override
        public void cancel() {
        }

        @Override
        public void clearBatch() {
        }

        @Override
        public void closeOnCompletion() {
        }

        @Override
        public int[] executeBatch() {
            throw unsupported();
        }

        @Override
        public int getFetchDirection() {
            return 0;
        }

        @Override
        public int getFetchSize() {
            return 0;
        }

        @Override
        public ResultSet getGeneratedKeys() {
            throw unsupported();
        }

        @Override
        public int getMaxFieldSize() {
            return 0;
        }

        @Override
        public int getMaxRows() {
            return 0;
        }

        @Override
        public ResultSetMetaData getMetaData() {
            throw unsupported();
        }

        @Override
        public ParameterMetaData getParameterMetaData() {
            throw unsupported();
        }

        @Override
        public int getResultSetConcurrency() {
            return 0;
        }

        @Override
        public int getResultSetHoldability() {
            return 0;
        }

        @Override
        public int getResultSetType() {
            return 0;
        }

        @Override
        public boolean isCloseOnCompletion() {
            return false;
        }

        @Override
        public boolean isPoolable() {
            return false;
        }

        @Override
        public void setArray(int a0, Array a1) {
        }

        @Override
        public void setAsciiStream(int a0, InputStream a1) {
        }

        @Override
        public void setAsciiStream(int a0, InputStream a1, int a2) {
        }

        @Override
        public void setAsciiStream(int a0, InputStream a1, long a2) {
        }

        @Override
        public void setBigDecimal(int a0, BigDecimal a1) {
        }

        @Override
        public void setBinaryStream(int a0, InputStream a1) {
        }

        @Override
        public void setBinaryStream(int a0, InputStream a1, long a2) {
        }

        @Override
        public void setBinaryStream(int a0, InputStream a1, int a2) {
        }

        @Override
        public void setBlob(int a0, Blob a1) {
        }

        @Override
        public void setBlob(int a0, InputStream a1) {
        }

        @Override
        public void setBlob(int a0, InputStream a1, long a2) {
        }

        @Override
        public void setBoolean(int a0, boolean a1) {
        }

        @Override
        public void setByte(int a0, byte a1) {
        }

        @Override
        public void setBytes(int a0, byte[] a1) {
        }

        @Override
        public void setCharacterStream(int a0, Reader a1) {
        }

        @Override
        public void setCharacterStream(int a0, Reader a1, int a2) {
        }

        @Override
        public void setCharacterStream(int a0, Reader a1, long a2) {
        }

        @Override
        public void setClob(int a0, Clob a1) {
        }

        @Override
        public void setClob(int a0, Reader a1) {
        }

        @Override
        public void setClob(int a0, Reader a1, long a2) {
        }

        @Override
        public void setCursorName(String a0) {
        }

        @Override
        public void setDate(int a0, Date a1) {
        }

        @Override
        public void setDate(int a0, Date a1, Calendar a2) {
        }

        @Override
        public void setDouble(int a0, double a1) {
        }

        @Override
        public void setEscapeProcessing(boolean a0) {
        }

        @Override
        public void setFetchDirection(int a0) {
        }

        @Override
        public void setFetchSize(int a0) {
        }

        @Override
        public void setFloat(int a0, float a1) {
        }

        @Override
        public void setInt(int a0, int a1) {
        }

        @Override
        public void setLong(int a0, long a1) {
        }

        @Override
        public void setMaxFieldSize(int a0) {
        }

        @Override
        public void setMaxRows(int a0) {
        }

        @Override
        public void setNCharacterStream(int a0, Reader a1) {
        }

        @Override
        public void setNCharacterStream(int a0, Reader a1, long a2) {
        }

        @Override
        public void setNClob(int a0, Reader a1) {
        }

        @Override
        public void setNClob(int a0, NClob a1) {
        }

        @Override
        public void setNClob(int a0, Reader a1, long a2) {
        }

        @Override
        public void setNString(int a0, String a1) {
        }

        @Override
        public void setNull(int a0, int a1) {
        }

        @Override
        public void setNull(int a0, int a1, String a2) {
        }

        @Override
        public void setObject(int a0, Object a1) {
        }

        @Override
        public void setObject(int a0, Object a1, int a2) {
        }

        @Override
        public void setObject(int a0, Object a1, int a2, int a3) {
        }

        @Override
        public void setPoolable(boolean a0) {
        }

        @Override
        public void setRef(int a0, Ref a1) {
        }

        @Override
        public void setRowId(int a0, RowId a1) {
        }

        @Override
        public void setSQLXML(int a0, SQLXML a1) {
        }

        @Override
        public void setShort(int a0, short a1) {
        }

        @Override
        public void setString(int a0, String a1) {
        }

        @Override
        public void setTime(int a0, Time a1) {
        }

        @Override
        public void setTime(int a0, Time a1, Calendar a2) {
        }

        @Override
        public void setTimestamp(int a0, Timestamp a1) {
        }

        @Override
        public void setTimestamp(int a0, Timestamp a1, Calendar a2) {
        }

        @Override
        public void setURL(int a0, URL a1) {
        }

        @Override
        public void setUnicodeStream(int a0, InputStream a1, int a2) {
        }
    }
}
