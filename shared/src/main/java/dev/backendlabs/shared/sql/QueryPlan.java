package dev.backendlabs.shared.sql;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * A PostgreSQL plan from {@code EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)}, parsed, so that tests can
 * assert what the planner did — an index condition, the absence of a Sort node, the buffers a
 * query touched — instead of timing it.
 *
 * <p>The query really runs (ANALYZE), with its parameters bound as in production: a plan for
 * literal values can differ from the plan for bind parameters.
 */
public final class QueryPlan {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final JsonNode plan;
    private final double executionMillis;

    private QueryPlan(JsonNode explainOutput) {
        JsonNode top = explainOutput.get(0);
        this.plan = top.path("Plan");
        this.executionMillis = top.path("Execution Time").asDouble();
    }

    /** Runs {@code EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) <sql>} with {@code parameters} bound in order. */
    public static QueryPlan explain(Connection connection, String sql, Object... parameters) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql)) {
            for (int i = 0; i < parameters.length; i++) {
                statement.setObject(i + 1, parameters[i]);
            }
            try (ResultSet rows = statement.executeQuery()) {
                rows.next();
                return parse(rows.getString(1));
            }
        }
    }

    /** Parses the JSON text of an {@code EXPLAIN (FORMAT JSON)}. */
    public static QueryPlan parse(String json) {
        try {
            return new QueryPlan(JSON.readTree(json));
        } catch (IOException e) {
            throw new UncheckedIOException("Not an EXPLAIN (FORMAT JSON) document", e);
        }
    }

    /** The node types, top-down, depth first: e.g. {@code [Limit, Index Scan]}. */
    public List<String> nodeTypes() {
        List<String> types = new ArrayList<>();
        visit(node -> types.add(node.path("Node Type").asText()));
        return types;
    }

    public boolean containsNode(String nodeType) {
        return nodeTypes().contains(nodeType);
    }

    /** Every {@code Index Cond} in the plan, as PostgreSQL prints it. */
    public List<String> indexConditions() {
        List<String> conditions = new ArrayList<>();
        visit(node -> {
            if (node.has("Index Cond")) {
                conditions.add(node.path("Index Cond").asText());
            }
        });
        return conditions;
    }

    /** Every {@code Filter} in the plan: conditions checked row by row after the rows were read. */
    public List<String> filters() {
        List<String> filters = new ArrayList<>();
        visit(node -> {
            if (node.has("Filter")) {
                filters.add(node.path("Filter").asText());
            }
        });
        return filters;
    }

    /**
     * Rows read and then thrown away by filters, summed over the plan and over every execution of
     * each node. PostgreSQL prints a per-loop average for a node that ran several times (the inner
     * side of a nested loop, the processes of a parallel scan), rounded to a whole row, so the
     * average is multiplied back by {@code Actual Loops}: exact when every loop discarded as many
     * rows, otherwise within half a row per loop.
     */
    public long rowsRemovedByFilter() {
        double[] removed = {0};
        visit(node -> removed[0] += node.path("Rows Removed by Filter").asDouble() * node.path("Actual Loops").asDouble(1));
        return Math.round(removed[0]);
    }

    /** Shared buffers the whole query touched (hit + read), as reported on the top node. */
    public long sharedBuffers() {
        return plan.path("Shared Hit Blocks").asLong() + plan.path("Shared Read Blocks").asLong();
    }

    /** Server-side execution time reported by EXPLAIN ANALYZE. */
    public double executionMillis() {
        return executionMillis;
    }

    /** Rows the top node returned. */
    public long actualRows() {
        return plan.path("Actual Rows").asLong();
    }

    /** The planner's row estimate of the top node. */
    public double estimatedRows() {
        return plan.path("Plan Rows").asDouble();
    }

    private void visit(Consumer<JsonNode> action) {
        visit(plan, action);
    }

    private static void visit(JsonNode node, Consumer<JsonNode> action) {
        action.accept(node);
        node.path("Plans").forEach(child -> visit(child, action));
    }

    @Override
    public String toString() {
        return plan.toPrettyString();
    }
}
