package dev.backendlabs.pagination;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.OptionalInt;
import java.util.function.Supplier;

/**
 * The two ways of reading a 50-row page at some depth of the newest-first feed that the depth
 * experiment and {@code PaginationBenchmark} compare, prepared the same way for both: OFFSET with
 * the page number, keyset with the cursor a client would hold after reading the rows before it.
 */
public enum PageVariant {

    OFFSET {
        @Override
        public Supplier<Object> pageAt(DataSource dataSource, FeedTable table, long depth, int size) {
            OffsetPaginator offset = new OffsetPaginator(dataSource, table);
            int pageNumber = (int) (depth / size) + 1;
            return () -> offset.page(pageNumber, size, OptionalInt.empty());
        }
    },

    KEYSET {
        @Override
        public Supplier<Object> pageAt(DataSource dataSource, FeedTable table, long depth, int size) throws SQLException {
            KeysetPaginator keyset = new KeysetPaginator(dataSource, FeedFixture.CODEC, table);
            PageRequest request = PageRequest.first(size);
            if (depth > 0) {
                try (Connection connection = dataSource.getConnection()) {
                    request = request.at(FeedFixture.cursorAfter(keyset, FeedFixture.rowAt(connection, table, depth - 1), size));
                }
            }
            PageRequest page = request;
            return () -> keyset.page(FeedFixture.READER, page);
        }
    };

    /**
     * A reader of the {@code size}-row page that starts after {@code depth} rows of {@code table}.
     *
     * @param depth rows before the page, a multiple of {@code size}
     */
    public abstract Supplier<Object> pageAt(DataSource dataSource, FeedTable table, long depth, int size) throws SQLException;
}
