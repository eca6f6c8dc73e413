MATCH (n:IngestedFile)
RETURN n.content_hash AS content_hash, n.path AS path, n.table_name AS table_name, n.rows_loaded AS rows_loaded, n.rows_quarantined AS rows_quarantined, n.ingested_at AS ingested_at
