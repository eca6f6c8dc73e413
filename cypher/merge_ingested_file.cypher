UNWIND $rows AS row
MERGE (f:IngestedFile {content_hash: row.content_hash})
SET f.path = row.path, f.table_name = row.table_name, f.rows_loaded = row.rows_loaded,
    f.rows_quarantined = row.rows_quarantined, f.ingested_at = row.ingested_at
