// Lints Cypher files with Neo4j's parser + semantic analyser (@neo4j-cypher/language-support).
// Usage: node tests/cypher_check.mjs SCHEMA_JSON FILE_OR_DIR...
// SCHEMA_JSON gives our labels, relationship types and property keys (from linkage.store.tables),
// so a misspelt label is caught too; GDS/APOC procedure signatures come with the package.
// Prints one JSON object: {file: [diagnostics]}; exits 1 if any file has a diagnostic.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const ls = require("@neo4j-cypher/language-support");

const [schemaPath, ...targets] = process.argv.slice(2);
const ours = JSON.parse(readFileSync(schemaPath, "utf8"));
const base = ls.testData.mockSchema; // carries the GDS and APOC procedure/function signatures
const schema = { ...base, labels: ours.labels, relationshipTypes: ours.relationshipTypes,
                 propertyKeys: ours.propertyKeys };

const files = targets.flatMap((t) =>
  statSync(t).isDirectory()
    ? readdirSync(t).filter((f) => f.endsWith(".cypher")).sort().map((f) => join(t, f))
    : [t]);

const report = {};
let bad = 0;
for (const file of files) {
  const text = readFileSync(file, "utf8");
  // Parameters arrive at run time, so "parameter not defined" is not an error here.
  const diags = ls.lintCypherQuery(text, schema, {}).diagnostics.filter((d) => ls.isNotParamError(d));
  report[file] = diags.map((d) => ({ line: d.range.start.line + 1, severity: d.severity, message: d.message }));
  if (diags.length) bad += 1;
}
console.log(JSON.stringify(report, null, 1));
process.exit(bad ? 1 : 0);
