package linkage.gds;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

import org.neo4j.procedure.Description;
import org.neo4j.procedure.UserFunction;

/**
 * `RETURN gds.version()`: the GDS release this plugin was assembled from.
 *
 * The official plugin jar defines this function in its (unpublished) packaging module; the
 * graphdatascience Python client calls it on connect to choose its API, and the server
 * script waits for it as the sign that GDS loaded.
 */
public final class VersionFunction {
    private static final String VERSION = readVersion();

    @UserFunction("gds.version")
    @Description("RETURN gds.version() | Return the installed Graph Data Science library version.")
    public String version() {
        return VERSION;
    }

    private static String readVersion() {
        try (InputStream in = VersionFunction.class.getResourceAsStream("/linkage-gds.properties")) {
            Properties properties = new Properties();
            properties.load(in);
            return properties.getProperty("gds.version");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
