MATCH (d:ArtifactDecision {kind: $kind, artifact_key: $key})
RETURN d.action AS action
ORDER BY d.at DESC, d.seq DESC
LIMIT 1
