package linkage.gds;

import java.util.Optional;

import org.neo4j.configuration.Config;
import org.neo4j.gds.applications.operations.FeatureTogglesRepository;
import org.neo4j.gds.core.model.OpenModelCatalog;
import org.neo4j.gds.core.write.NativeExportBuildersProvider;
import org.neo4j.gds.logging.Log;
import org.neo4j.gds.metrics.Metrics;
import org.neo4j.gds.procedures.integration.DefaultExportLocation;
import org.neo4j.gds.procedures.integration.LogAccessor;
import org.neo4j.gds.procedures.integration.OpenGraphDataScienceExtensionBuilder;
import org.neo4j.kernel.api.procedure.GlobalProcedures;
import org.neo4j.kernel.extension.ExtensionFactory;
import org.neo4j.kernel.extension.context.ExtensionContext;
import org.neo4j.kernel.lifecycle.Lifecycle;
import org.neo4j.logging.internal.LogService;

/**
 * Registers the component every GDS procedure injects (GraphDataScienceProcedures).
 *
 * GDS publishes its modules on Maven Central, but not the small packaging module of its
 * official plugin jar that wires them into Neo4j as a kernel extension; without it Neo4j
 * refuses to start ("the field `facade` ... is not a known injectable component"). This is
 * that wiring for the open (Community) edition: native writes only, no metrics, models kept
 * in memory and never stored on disk.
 */
public final class OpenGdsExtension extends ExtensionFactory<OpenGdsExtension.Dependencies> {
    public OpenGdsExtension() {
        super("gds.open");
    }

    @Override
    public Lifecycle newInstance(ExtensionContext context, Dependencies dependencies) {
        Log log = new LogAccessor().getLog(dependencies.logService(), getClass());
        Config config = dependencies.config();
        var builderAndServices = OpenGraphDataScienceExtensionBuilder.create(
            log,
            dependencies.globalProcedures(),
            config,
            (database, configuration) -> new NativeExportBuildersProvider(),
            new DefaultExportLocation(log, config),
            new FeatureTogglesRepository(),
            Metrics.DISABLED,
            new OpenModelCatalog(),
            model -> {
                throw new UnsupportedOperationException("storing models on disk needs GDS Enterprise");
            },
            Optional.empty(),
            Optional.empty(),
            Optional.empty());
        return builderAndServices.getLeft().build();
    }

    /** What the extension asks Neo4j for. */
    public interface Dependencies {
        Config config();

        GlobalProcedures globalProcedures();

        LogService logService();
    }
}
