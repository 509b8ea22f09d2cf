package dev.backendlabs.shared.sql;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Parsing of EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) output, on a plan PostgreSQL 17 printed. */
class QueryPlanTest {

    private static final String PLAN = """
            [{"Plan": {"Node Type": "Limit", "Actual Rows": 51, "Plan Rows": 51,
                       "Shared Hit Blocks": 50, "Shared Read Blocks": 4,
                       "Plans": [{"Node Type": "Index Scan", "Scan Direction": "Backward",
                                  "Index Cond": "(ROW(created_at, id) < ROW($1, $2))",
                                  "Shared Hit Blocks": 50, "Shared Read Blocks": 4,
                                  "Plans": [{"Node Type": "Bitmap Heap Scan", "Filter": "(score > 3)",
                                             "Rows Removed by Filter": 7}]}]},
              "Planning Time": 0.1, "Execution Time": 0.25}]
            """;

    @Test
    void readsNodesConditionsFiltersAndBuffers() {
        QueryPlan plan = QueryPlan.parse(PLAN);

        assertThat(plan.nodeTypes()).containsExactly("Limit", "Index Scan", "Bitmap Heap Scan");
        assertThat(plan.containsNode("Sort")).isFalse();
        assertThat(plan.indexConditions()).containsExactly("(ROW(created_at, id) < ROW($1, $2))");
        assertThat(plan.filters()).containsExactly("(score > 3)");
        assertThat(plan.rowsRemovedByFilter()).isEqualTo(7);
        assertThat(plan.sharedBuffers()).isEqualTo(54);
        assertThat(plan.actualRows()).isEqualTo(51);
        assertThat(plan.estimatedRows()).isEqualTo(51.0);
        assertThat(plan.executionMillis()).isEqualTo(0.25);
    }

    @Test
    void rejectsTextThatIsNotJson() {
        assertThatThrownBy(() -> QueryPlan.parse("Limit  (cost=0.42..3.1 rows=51)")).isInstanceOf(java.io.UncheckedIOException.class);
    }
}
