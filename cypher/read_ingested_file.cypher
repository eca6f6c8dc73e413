// Times leave as microseconds since the epoch: decoding driver DateTimes costs 4x more.
MATCH (n:IngestedFile)
RETURN n.content_hash AS content_hash, n.path AS path, n.table_name AS table_name, n.rows_loaded AS rows_loaded, n.rows_quarantined AS rows_quarantined, n.ingested_at.epochSeconds * 1000000 + n.ingested_at.microsecond AS ingested_at
