UNWIND $rows AS row
MERGE (f:IngestedFile {content_hash: row.content_hash})
SET f.path = coalesce(row.path, f.path), f.table_name = coalesce(row.table_name, f.table_name),
    f.rows_loaded = coalesce(row.rows_loaded, f.rows_loaded),
    f.rows_quarantined = coalesce(row.rows_quarantined, f.rows_quarantined),
    f.ingested_at = coalesce(row.ingested_at, f.ingested_at)
