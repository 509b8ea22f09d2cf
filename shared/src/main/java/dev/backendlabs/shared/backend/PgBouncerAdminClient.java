package dev.backendlabs.shared.backend;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One command on PgBouncer's admin console (the virtual database {@code pgbouncer}) over the
 * PostgreSQL wire protocol's simple query flow: start-up, trust / cleartext / MD5 login, one
 * {@code Query}, the rows as text.
 *
 * <p>Why not pgjdbc: from 42.7.5 on, pgjdbc sends {@code SET extra_float_digits} after login to any
 * server that reports a version below 12, and the admin console reports PgBouncer's own version
 * and answers {@code SET failed} (pgbouncer/pgbouncer#1509, fixed in PgBouncer only in 2026). The
 * console needs nothing but this small flow.
 */
final class PgBouncerAdminClient {

    private static final int PROTOCOL_3_0 = 196_608;
    private static final int TIMEOUT_MS = 5_000;

    private PgBouncerAdminClient() {
    }

    /** The rows of {@code command}, each a map from column name to text value (null for NULL). */
    static List<Map<String, String>> query(String host, int port, String user, String password, String command) throws SQLException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), TIMEOUT_MS);
            socket.setSoTimeout(TIMEOUT_MS);
            DataInputStream in = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream()));
            startup(out, user);
            List<Map<String, String>> rows = new ArrayList<>();
            readUntilReady(in, out, user, password, rows);
            message(out, 'Q', cString(command));
            readUntilReady(in, out, user, password, rows);
            message(out, 'X', new byte[0]);
            return rows;
        } catch (IOException e) {
            throw new SQLException("PgBouncer admin console at " + host + ":" + port + ": " + e.getMessage(), "08006", e);
        }
    }

    private static void startup(DataOutputStream out, String user) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(cString("user"));
        body.writeBytes(cString(user));
        body.writeBytes(cString("database"));
        body.writeBytes(cString("pgbouncer"));
        body.write(0);
        out.writeInt(8 + body.size());
        out.writeInt(PROTOCOL_3_0);
        out.write(body.toByteArray());
        out.flush();
    }

    /** Reads messages until ReadyForQuery, answering a login challenge and collecting rows; an ErrorResponse is thrown. */
    private static void readUntilReady(DataInputStream in, DataOutputStream out, String user, String password,
                                       List<Map<String, String>> rows) throws IOException, SQLException {
        List<String> columns = List.of();
        while (true) {
            char type = (char) in.readUnsignedByte();
            byte[] payload = new byte[in.readInt() - 4];
            in.readFully(payload);
            DataInputStream body = new DataInputStream(new ByteArrayInputStream(payload));
            switch (type) {
                case 'R' -> authenticate(body, out, user, password);
                case 'T' -> columns = columns(body);
                case 'D' -> rows.add(row(body, columns));
                case 'E' -> throw error(payload);
                case 'Z' -> {
                    return;
                }
                default -> {
                    // ParameterStatus, BackendKeyData, CommandComplete, notices: nothing to keep.
                }
            }
        }
    }

    private static void authenticate(DataInputStream body, DataOutputStream out, String user, String password) throws IOException,
            SQLException {
        int method = body.readInt();
        String secret = password == null ? "" : password;
        switch (method) {
            case 0 -> {
                // AuthenticationOk
            }
            case 3 -> message(out, 'p', cString(secret));
            case 5 -> {
                byte[] salt = body.readNBytes(4);
                String inner = md5Hex((secret + user).getBytes(StandardCharsets.UTF_8));
                byte[] salted = concat(inner.getBytes(StandardCharsets.US_ASCII), salt);
                message(out, 'p', cString("md5" + md5Hex(salted)));
            }
            default -> throw new SQLException("PgBouncer's admin console asks for authentication method " + method
                    + "; this client speaks trust, cleartext and MD5 only", "28000");
        }
    }

    private static List<String> columns(DataInputStream body) throws IOException {
        int count = body.readUnsignedShort();
        List<String> names = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            names.add(readCString(body));
            body.skipNBytes(18);
        }
        return names;
    }

    private static Map<String, String> row(DataInputStream body, List<String> columns) throws IOException {
        int count = body.readUnsignedShort();
        Map<String, String> row = new LinkedHashMap<>();
        for (int i = 0; i < count; i++) {
            int length = body.readInt();
            row.put(columns.get(i), length < 0 ? null : new String(body.readNBytes(length), StandardCharsets.UTF_8));
        }
        return row;
    }

    private static SQLException error(byte[] payload) {
        String message = "unknown error";
        String state = null;
        int i = 0;
        while (i < payload.length && payload[i] != 0) {
            char field = (char) payload[i++];
            int end = i;
            while (payload[end] != 0) {
                end++;
            }
            String value = new String(payload, i, end - i, StandardCharsets.UTF_8);
            if (field == 'M') {
                message = value;
            } else if (field == 'C') {
                state = value;
            }
            i = end + 1;
        }
        return new SQLException("PgBouncer admin console: " + message, state);
    }

    private static void message(DataOutputStream out, char type, byte[] body) throws IOException {
        out.writeByte(type);
        out.writeInt(4 + body.length);
        out.write(body);
        out.flush();
    }

    private static byte[] cString(String text) {
        return concat(text.getBytes(StandardCharsets.UTF_8), new byte[] {0});
    }

    private static String readCString(DataInputStream in) throws IOException {
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        for (int b = in.readUnsignedByte(); b != 0; b = in.readUnsignedByte()) {
            text.write(b);
        }
        return text.toString(StandardCharsets.UTF_8);
    }

    private static byte[] concat(byte[] first, byte[] second) {
        byte[] joined = new byte[first.length + second.length];
        System.arraycopy(first, 0, joined, 0, first.length);
        System.arraycopy(second, 0, joined, first.length, second.length);
        return joined;
    }

    private static String md5Hex(byte[] input) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(input));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("The JDK has no MD5", e);
        }
    }
}
