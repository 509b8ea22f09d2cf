package dev.backendlabs.shared.net;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One direction of one proxied connection. A reader takes bytes off the source as they arrive and stamps each chunk with
 * the moment it may leave (arrival plus latency); a single writer delivers the chunks in order through the lane's faults,
 * so bytes are never reordered: a chunk that drew less jitter than the one ahead leaves right after it. The queue between
 * them is the wire: the bytes in flight. Reading and writing on separate threads is what makes latency a delay and not a
 * throttle: a chunk that arrives while the one ahead is still delayed starts its own delay at once, as on a real link.
 *
 * <p>At most {@value #IN_FLIGHT} bytes are in flight, like a TCP window: a writer that holds bytes (a stall, a slow link)
 * soon stops the reader, the socket buffers fill and TCP flow control stops the sender, as on a real network. It also
 * caps one connection at 1 MiB per latency (10 MB/s at 100 ms), which is the bandwidth-delay product at work.
 */
final class Pipe {

    private static final int CHUNK = 64 * 1024;
    private static final int IN_FLIGHT = 1024 * 1024;
    private static final Chunk END = new Chunk(new byte[0], 0);

    private record Chunk(byte[] bytes, long dueNanos) {
    }

    private final Socket source;
    private final Socket sink;
    private final Faults faults;
    private final Lane lane;
    private final Consumer<Boolean> onEnd;
    private final BlockingQueue<Chunk> wire = new LinkedBlockingQueue<>();
    private final Semaphore window = new Semaphore(IN_FLIGHT);
    private final Thread reader;
    private final Thread writer;

    /** @param onEnd told once, when the writer stops: {@code true} if the sink broke, {@code false} at the end of stream or a close */
    Pipe(String name, Socket source, Socket sink, Faults faults, Direction direction, Consumer<Boolean> onEnd) {
        this.source = source;
        this.sink = sink;
        this.faults = faults;
        this.lane = faults.lane(direction);
        this.onEnd = onEnd;
        String thread = name + "-" + direction.name().toLowerCase(Locale.ROOT);
        this.reader = Thread.ofVirtual().name(thread + "-read").unstarted(this::read);
        this.writer = Thread.ofVirtual().name(thread + "-write").unstarted(this::write);
    }

    void start() {
        reader.start();
        writer.start();
    }

    /** Ends both threads wherever they wait; the caller closes the sockets. */
    void stop() {
        reader.interrupt();
        writer.interrupt();
    }

    private void read() {
        try {
            InputStream in = source.getInputStream();
            byte[] buffer = new byte[CHUNK];
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                window.acquire(n);
                wire.add(new Chunk(Arrays.copyOf(buffer, n), System.nanoTime() + lane.delayNanos()));
            }
        } catch (IOException e) {
            // The source closed or broke: either way, the end of this direction's stream.
        } catch (InterruptedException e) {
            return;
        }
        wire.add(END);
    }

    private void write() {
        boolean broken = false;
        try {
            OutputStream out = sink.getOutputStream();
            for (Chunk chunk = wire.take(); chunk != END; chunk = wire.take()) {
                TimeUnit.NANOSECONDS.sleep(chunk.dueNanos() - System.nanoTime());
                deliver(chunk.bytes(), out);
                window.release(chunk.bytes().length);
            }
            faults.await(() -> !faults.blackholed());
            sink.shutdownOutput();
        } catch (IOException e) {
            broken = true;
        } catch (InterruptedException e) {
            // The connection was closed.
        }
        onEnd.accept(broken);
    }

    /**
     * Writes {@code bytes} a slice at a time: a blackhole drops what is left, a spent budget holds it (in order) until the
     * budget is renewed or cleared, the bandwidth paces each slice. The end of stream, above, waits out a blackhole
     * instead of being dropped: a close crosses a partition only once it heals.
     */
    private void deliver(byte[] bytes, OutputStream out) throws IOException, InterruptedException {
        int offset = 0;
        while (offset < bytes.length && !faults.blackholed()) {
            int size = lane.take(lane.slice(bytes.length - offset));
            if (size == 0) {
                faults.await(() -> !lane.stalled() || faults.blackholed());
                continue;
            }
            lane.pace(size);
            // Counted before the write: once the client holds the bytes, the count already includes them (counted
            // after, a client that reads the count right after its reply could miss the reply's last slice).
            lane.forwarded(size);
            out.write(bytes, offset, size);
            offset += size;
        }
    }
}
