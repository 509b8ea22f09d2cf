package dev.backendlabs.caching;

import javax.sql.DataSource;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.LongAdder;

/**
 * The source of truth: product pages read from PostgreSQL through the {@code catalog.product_pages}
 * view (a join and two aggregates per read, see {@code catalog_schema.sql}), and the writes that
 * change them. It counts every read and every write it sends, which is how the lab measures what a
 * cache saves the database.
 */
public final class ProductRepository implements ProductCatalog {

    private static final String COLUMNS = "id, sku, name, category_id, price_cents, version, review_count, average_rating, related_ids";
    private static final String READ = "SELECT " + COLUMNS + " FROM catalog.product_pages WHERE id = ?";
    private static final String UPDATE_PRICE =
            "UPDATE catalog.products SET price_cents = ?, version = version + 1, updated_at = now() WHERE id = ?";
    private static final String INSERT = "INSERT INTO catalog.products (id, sku, name, category_id, price_cents) VALUES (?, ?, ?, ?, ?)";
    private static final String UNIQUE_VIOLATION = "23505";

    private final DataSource dataSource;
    private final LongAdder reads = new LongAdder();
    private final LongAdder writes = new LongAdder();

    public ProductRepository(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** One query of the product-page view. */
    @Override
    public Optional<Product> find(long id) {
        CatalogArgumentException.requireProductId(id);
        reads.increment();
        try (Connection connection = dataSource.getConnection()) {
            return read(connection, id);
        } catch (SQLException e) {
            throw unavailable("read product " + id, e);
        }
    }

    /** The update and the re-read of the page, in one transaction. */
    @Override
    public Product updatePrice(long id, long priceCents) {
        CatalogArgumentException.requireProductId(id);
        if (priceCents < 0) {
            throw new CatalogArgumentException("priceCents", "an integer >= 0", priceCents);
        }
        writes.increment();
        return inTransaction(id, connection -> {
            try (PreparedStatement update = connection.prepareStatement(UPDATE_PRICE)) {
                update.setLong(1, priceCents);
                update.setLong(2, id);
                if (update.executeUpdate() == 0) {
                    throw new ProductNotFoundException(id);
                }
            }
        });
    }

    @Override
    public Product create(long id, String sku, String name, int categoryId, long priceCents) {
        Product valid = new Product(id, sku, name, categoryId, priceCents, 1, 0, 0, List.of());
        writes.increment();
        return inTransaction(id, connection -> {
            try (PreparedStatement insert = connection.prepareStatement(INSERT)) {
                insert.setLong(1, valid.id());
                insert.setString(2, valid.sku());
                insert.setString(3, valid.name());
                insert.setInt(4, valid.categoryId());
                insert.setLong(5, valid.priceCents());
                insert.executeUpdate();
            } catch (SQLException e) {
                if (UNIQUE_VIOLATION.equals(e.getSQLState())) {
                    throw new CatalogArgumentException("id and sku", "unused", id + ", " + sku);
                }
                throw e;
            }
        });
    }

    /** Reads sent to the database since this repository was made. */
    public long reads() {
        return reads.sum();
    }

    /** Writes sent to the database since this repository was made. */
    public long writes() {
        return writes.sum();
    }

    @FunctionalInterface
    private interface Write {
        void run(Connection connection) throws SQLException;
    }

    private Product inTransaction(long id, Write write) {
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            try {
                write.run(connection);
                Product product = read(connection, id).orElseThrow(() -> new ProductNotFoundException(id));
                connection.commit();
                return product;
            } catch (SQLException | RuntimeException e) {
                connection.rollback(); // the pool restores auto-commit when the connection goes back
                throw e;
            }
        } catch (SQLException e) {
            throw unavailable("write product " + id, e);
        }
    }

    private static Optional<Product> read(Connection connection, long id) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(READ)) {
            select.setLong(1, id);
            try (ResultSet row = select.executeQuery()) {
                if (!row.next()) {
                    return Optional.empty();
                }
                Array related = row.getArray("related_ids");
                return Optional.of(new Product(row.getLong("id"), row.getString("sku"), row.getString("name"), row.getInt("category_id"),
                        row.getLong("price_cents"), row.getLong("version"), row.getLong("review_count"),
                        row.getDouble("average_rating"), Arrays.asList((Long[]) related.getArray())));
            }
        }
    }

    private static CatalogUnavailableException unavailable(String what, SQLException e) {
        return new CatalogUnavailableException("catalog: could not " + what + " (" + e.getSQLState() + "): " + e.getMessage(), e);
    }
}
