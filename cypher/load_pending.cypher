// An ingest that started and did not finish (its files are not recorded as ingested yet).
MATCH (p:PendingLoad)
RETURN p.token AS token, p.files AS files, p.started_at AS started_at
