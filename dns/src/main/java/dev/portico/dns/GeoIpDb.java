package dev.portico.dns;

import com.maxmind.db.CHMCache;
import com.maxmind.db.DatabaseRecord;
import com.maxmind.db.Reader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * A MaxMind DB (GeoLite2-Country, GeoIP2-Country or City, or any database with the same
 * {@code country.iso_code} and {@code continent.code} fields) read into memory with MaxMind's
 * reader. Decoded records are cached by their place in the file, so a lookup costs a walk down the
 * search tree. {@link #reopen()} reads the file again (on SIGHUP); lookups in flight finish on the
 * old copy, which is left to the garbage collector (it is plain memory, no file stays open).
 */
final class GeoIpDb implements AutoCloseable {

    /**
     * Where an address is.
     *
     * @param country   the upper-case ISO country code, or null
     * @param continent the upper-case continent code, or null
     * @param prefix    the prefix length of the database network holding the address: every
     *                  address in it is in the same place
     */
    record Location(String country, String continent, int prefix) {
    }

    private static final Logger log = LoggerFactory.getLogger(GeoIpDb.class);

    private final Path file;
    private volatile Reader reader;

    private GeoIpDb(Path file, Reader reader) {
        this.file = file;
        this.reader = reader;
    }

    /**
     * Reads a database.
     *
     * @param file the .mmdb file
     * @return the database
     * @throws IOException naming the file when it cannot be read or is not a MaxMind DB
     */
    static GeoIpDb open(Path file) throws IOException {
        return new GeoIpDb(file, read(file));
    }

    private static Reader read(Path file) throws IOException {
        try {
            Reader r = new Reader(file.toFile(), Reader.FileMode.MEMORY, new CHMCache());
            log.info("geoip database {}: {} built {}", file, r.getMetadata().getDatabaseType(),
                    r.getMetadata().getBuildDate().toInstant());
            return r;
        } catch (IOException | RuntimeException e) {
            throw new IOException("geoip_db " + file + ": " + (e.getMessage() != null ? e.getMessage() : e), e);
        }
    }

    /** The file this database was read from. */
    Path file() {
        return file;
    }

    /**
     * Looks an address up.
     *
     * @param address an IPv4 or IPv6 address
     * @return its location; country and continent are null when the database does not know them
     */
    Location lookup(InetAddress address) {
        try {
            DatabaseRecord<Map> record = reader.getRecord(address, Map.class);
            Map<?, ?> data = record.getData();
            String country = code(data, "country", "iso_code");
            if (country == null) {
                country = code(data, "registered_country", "iso_code");
            }
            return new Location(country, code(data, "continent", "code"), record.getNetwork().getPrefixLength());
        } catch (IOException | RuntimeException e) {
            log.debug("geoip lookup of {} failed", address, e);
            return new Location(null, null, 0);
        }
    }

    private static String code(Map<?, ?> data, String map, String key) {
        if (data != null && data.get(map) instanceof Map<?, ?> m && m.get(key) instanceof String s) {
            return s.toUpperCase(Locale.ROOT);
        }
        return null;
    }

    /**
     * Reads the file again; on failure the database in use stays.
     *
     * @throws IOException naming the file
     */
    void reopen() throws IOException {
        reader = read(file);
    }

    @Override
    public void close() {
        closeQuietly(reader);
    }

    private static void closeQuietly(Reader r) {
        try {
            r.close();
        } catch (IOException e) {
            log.debug("closing the geoip database", e);
        }
    }
}
