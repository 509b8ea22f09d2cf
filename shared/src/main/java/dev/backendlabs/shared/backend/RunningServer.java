package dev.backendlabs.shared.backend;

/** A started server handle together with what stops it at the end of the run. */
record RunningServer<B extends Backend>(B backend, AutoCloseable stopper) {
}
