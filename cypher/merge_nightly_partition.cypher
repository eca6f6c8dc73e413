// The nightly job's record of one dated partition it took (bookkeeping, not graph content).
// A missing value keeps what is stored: a resumed run re-saves partial rows.
UNWIND $rows AS row
MERGE (p:NightlyPartition {partition: row.partition, run_id: row.run_id})
SET p.path = coalesce(row.path, p.path), p.taken_at = coalesce(row.taken_at, p.taken_at),
    p.files = coalesce(row.files, p.files), p.rows_loaded = coalesce(row.rows_loaded, p.rows_loaded),
    p.rows_quarantined = coalesce(row.rows_quarantined, p.rows_quarantined),
    p.quarantined_by_table = coalesce(row.quarantined_by_table, p.quarantined_by_table),
    p.quarantine_file = coalesce(row.quarantine_file, p.quarantine_file),
    p.seconds = coalesce(row.seconds, p.seconds)
