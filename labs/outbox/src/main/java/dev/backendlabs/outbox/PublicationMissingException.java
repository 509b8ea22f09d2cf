package dev.backendlabs.outbox;

/**
 * The CDC relay's replication slot exists but its publication does not. pgoutput judges each change
 * against the publications as they were when the change was committed, so a publication created now
 * would not cover the inserts the slot already holds: they would be skipped (or stop the stream,
 * depending on the server version) without anyone being told. Thrown by {@link CdcRelay#prepare()}
 * before anything is created. Recovery is a decision: create the publication and re-publish the
 * outbox rows written since the slot's creation (the consumers' inbox absorbs repeats), or drop the
 * slot and start over.
 */
public final class PublicationMissingException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    public PublicationMissingException(String message) {
        super(message);
    }
}
