package dev.backendlabs.shared.sql;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Parsing of EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) output. */
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

    /**
     * PostgreSQL 17.6, trimmed to the fields QueryPlan reads, for a nested loop whose inner index scan
     * runs once per author (authors 1..4; posts 1..1000 with author_id = 1 + i % 4, score = i % 10):
     * <pre>
     * SET enable_seqscan = off; SET enable_bitmapscan = off; SET enable_memoize = off;
     * SELECT p.id FROM authors a CROSS JOIN LATERAL
     *   (SELECT id FROM posts WHERE author_id = a.id AND score >= 7 OFFSET 0) p;
     * </pre>
     * Each of the 4 loops discards 175 of its author's 250 posts; PostgreSQL prints the per-loop average.
     */
    private static final String NESTED_LOOP = """
            [{"Plan": {"Node Type": "Nested Loop", "Join Type": "Inner", "Actual Rows": 300, "Actual Loops": 1,
                       "Shared Hit Blocks": 30, "Shared Read Blocks": 0,
                       "Plans": [{"Node Type": "Index Only Scan", "Parent Relationship": "Outer", "Relation Name": "authors",
                                  "Actual Rows": 4, "Actual Loops": 1},
                                 {"Node Type": "Index Scan", "Parent Relationship": "Inner", "Relation Name": "posts",
                                  "Actual Rows": 75, "Actual Loops": 4,
                                  "Index Cond": "(author_id = a.id)", "Rows Removed by Index Recheck": 0,
                                  "Filter": "(score >= 7)", "Rows Removed by Filter": 175,
                                  "Shared Hit Blocks": 28, "Shared Read Blocks": 0}]},
              "Planning Time": 0.573, "Execution Time": 0.297}]
            """;

    @Test
    void rowsRemovedByFilterCountsEveryLoopOfANodeExecutedSeveralTimes() {
        // 4 loops × 175: the 700 posts with score < 7, each read once and discarded.
        assertThat(QueryPlan.parse(NESTED_LOOP).rowsRemovedByFilter()).isEqualTo(700);
    }

    @Test
    void rejectsTextThatIsNotJson() {
        assertThatThrownBy(() -> QueryPlan.parse("Limit  (cost=0.42..3.1 rows=51)")).isInstanceOf(java.io.UncheckedIOException.class);
    }
}
