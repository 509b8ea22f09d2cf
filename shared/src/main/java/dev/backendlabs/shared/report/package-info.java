/**
 * Lab reports as DESIGN.md "Reports" specifies: metrics, tables and XChart charts collected in a
 * {@link dev.backendlabs.shared.report.LabReport} and written by
 * {@link dev.backendlabs.shared.report.ReportWriter} as {@code results.json}, {@code report.md} and PNGs.
 */
package dev.backendlabs.shared.report;
