package dev.backendlabs.mvcc;

import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What one VACUUM said about one table, parsed from its report: the {@code VACUUM (VERBOSE)}
 * output or the autovacuum log entry ({@code log_autovacuum_min_duration}).
 *
 * <p>The wording changed in PostgreSQL 15, so a parser written against one version silently finds
 * nothing in the other. Three forms are read:
 * <ul>
 *   <li>15 and later, VERBOSE and autovacuum alike:
 *       {@code tuples: 0 removed, 80000 remain, 60000 are dead but not yet removable} and
 *       {@code removable cutoff: 1946, which was 6001 XIDs old when operation ended};</li>
 *   <li>14 and earlier, autovacuum log:
 *       {@code tuples: 0 removed, 80000 remain, 60000 are dead but not yet removable, oldest xmin: 1946};</li>
 *   <li>14 and earlier, VERBOSE: {@code found 0 removable, 80000 nonremovable row versions in 1144 out of 1144 pages}
 *       and {@code 60000 dead row versions cannot be removed yet, oldest xmin: 1946}.</li>
 * </ul>
 * When the output covers several tables (the TOAST table follows its table), the first is read.
 *
 * @param tuplesRemoved       dead row versions removed
 * @param tuplesRemaining     row versions left, live and not-yet-removable together
 * @param deadNotYetRemovable dead row versions the horizon kept: some transaction may still see them
 * @param removableCutoff     the horizon VACUUM used: versions deleted by transactions after it stay
 * @param cutoffAgeXids       how many transaction ids old that cutoff was when VACUUM ended (15 and later only)
 * @param output              the report as the server wrote it
 */
public record VacuumReport(long tuplesRemoved, long tuplesRemaining, long deadNotYetRemovable, long removableCutoff,
                           OptionalLong cutoffAgeXids, String output) {

    private static final Pattern TUPLES =
            Pattern.compile("tuples: (\\d+) removed, (\\d+) remain, (\\d+) are dead but not yet removable(?:, oldest xmin: (\\d+))?");
    private static final Pattern CUTOFF = Pattern.compile("removable cutoff: (\\d+), which was (\\d+) XIDs old");
    private static final Pattern FOUND = Pattern.compile("found (\\d+) removable, (\\d+) nonremovable row versions");
    private static final Pattern KEPT = Pattern.compile("(\\d+) dead row versions cannot be removed yet, oldest xmin: (\\d+)");

    /**
     * Parses a VACUUM report in any of the three forms.
     *
     * @throws IllegalArgumentException if {@code output} holds none of them
     */
    public static VacuumReport parse(String output) {
        if (output == null) {
            throw new IllegalArgumentException("No VACUUM output to parse");
        }
        Matcher tuples = TUPLES.matcher(output);
        if (tuples.find()) {
            if (tuples.group(4) != null) {
                return new VacuumReport(number(tuples, 1), number(tuples, 2), number(tuples, 3), number(tuples, 4), OptionalLong.empty(),
                        output);
            }
            Matcher cutoff = CUTOFF.matcher(output);
            if (cutoff.find()) {
                return new VacuumReport(number(tuples, 1), number(tuples, 2), number(tuples, 3), number(cutoff, 1),
                        OptionalLong.of(number(cutoff, 2)), output);
            }
        }
        Matcher found = FOUND.matcher(output);
        Matcher kept = KEPT.matcher(output);
        if (found.find() && kept.find()) {
            return new VacuumReport(number(found, 1), number(found, 2), number(kept, 1), number(kept, 2), OptionalLong.empty(), output);
        }
        throw new IllegalArgumentException("Not a VACUUM report of PostgreSQL 9.6 to 17 (no tuples line with its horizon): "
                + output.substring(0, Math.min(output.length(), 200)));
    }

    private static long number(Matcher matcher, int group) {
        return Long.parseLong(matcher.group(group));
    }
}
