MATCH (d:ArtifactDecision)
WITH d ORDER BY d.at DESC, d.seq DESC
WITH d.kind AS kind, d.artifact_key AS key, collect(d)[0] AS latest
WHERE latest.action = 'allow'
RETURN kind, key, latest.reason AS reason, latest.author AS author, latest.at AS at
ORDER BY kind, key
