/**
 * JMH benchmarks, one question per class, shaped like JMH's own samples: a javadoc stating the
 * question, the baseline and the variants, and how to run it.
 */
package dev.backendlabs.bench;
