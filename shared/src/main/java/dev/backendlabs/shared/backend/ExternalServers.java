package dev.backendlabs.shared.backend;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.FinalizedVersionRange;
import org.postgresql.Driver;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.util.JedisURIHelper;

import java.net.URI;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * Connects to servers this run does not own, located by the {@code LABS_*} settings. Each is
 * checked with a real round trip, so a wrong URL fails the run at once, naming the URL.
 */
final class ExternalServers {

    private ExternalServers() {
    }

    static RunningServer<PostgresBackend> postgres(BackendSettings settings) {
        String url = settings.get(BackendSettings.PG_URL);
        try {
            Properties parsed = Driver.parseURL(url, null);
            if (parsed == null) {
                throw new IllegalArgumentException("not a PostgreSQL JDBC URL");
            }
            String host = parsed.getProperty("PGHOST");
            int port = Integer.parseInt(parsed.getProperty("PGPORT"));
            String database = parsed.getProperty("PGDBNAME");
            PostgresBackend backend = new PostgresBackend(BackendMode.EXTERNAL, host, port,
                    settings.get(BackendSettings.PG_USER), settings.get(BackendSettings.PG_PASSWORD), database,
                    FaultControl.unsupported("postgres", BackendMode.EXTERNAL));
            return new RunningServer<>(backend, backend::closePools);
        } catch (RuntimeException e) {
            throw new BackendStartException("postgres", BackendMode.EXTERNAL, BackendSettings.PG_URL + "=" + url, e);
        }
    }

    /** {@code redis://[[user]:password@]host[:port]}; Jedis parses the URL as it does for its own clients. */
    static RunningServer<RedisBackend> redis(BackendSettings settings) {
        String url = settings.get(BackendSettings.REDIS_URL);
        try {
            URI uri = URI.create(url);
            if (!"redis".equals(uri.getScheme()) || uri.getHost() == null) {
                throw new IllegalArgumentException("expected redis://[[user]:password@]host[:port]");
            }
            HostAndPort address = new HostAndPort(uri.getHost(), uri.getPort() == -1 ? 6379 : uri.getPort());
            RedisBackend.Credentials credentials =
                    new RedisBackend.Credentials(JedisURIHelper.getUser(uri), JedisURIHelper.getPassword(uri));
            RedisBackend backend = new RedisBackend(BackendMode.EXTERNAL, address, credentials,
                    FaultControl.unsupported("redis", BackendMode.EXTERNAL));
            return new RunningServer<>(backend, () -> { });
        } catch (RuntimeException e) {
            throw new BackendStartException("redis", BackendMode.EXTERNAL, BackendSettings.REDIS_URL + "=" + withoutSecret(url), e);
        }
    }

    /** The URL as it may be printed: credentials replaced by {@code ***}. */
    static String withoutSecret(String url) {
        int at = url.lastIndexOf('@');
        int scheme = url.indexOf("://");
        return at > scheme && scheme >= 0 ? url.substring(0, scheme + 3) + "***" + url.substring(at) : url;
    }

    /** The broker's own version is not on the wire; its finalized {@code metadata.version} level is. */
    static RunningServer<KafkaBackend> kafka(BackendSettings settings) {
        String bootstrap = settings.get(BackendSettings.KAFKA_BOOTSTRAP);
        Properties properties = new Properties();
        properties.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        properties.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 3_000);
        properties.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 5_000);
        try (Admin admin = Admin.create(properties)) {
            FinalizedVersionRange metadata = admin.describeFeatures().featureMetadata().get(10, TimeUnit.SECONDS)
                    .finalizedFeatures().get("metadata.version");
            String version = metadata == null ? "unknown" : "metadata.version " + metadata.maxVersionLevel();
            KafkaBackend backend = new KafkaBackend(BackendMode.EXTERNAL, bootstrap, version,
                    FaultControl.unsupported("kafka", BackendMode.EXTERNAL));
            return new RunningServer<>(backend, () -> { });
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackendStartException("kafka", BackendMode.EXTERNAL, BackendSettings.KAFKA_BOOTSTRAP + "=" + bootstrap, e);
        } catch (Exception e) {
            throw new BackendStartException("kafka", BackendMode.EXTERNAL, BackendSettings.KAFKA_BOOTSTRAP + "=" + bootstrap, e);
        }
    }
}
