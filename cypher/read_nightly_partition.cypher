// Times leave as microseconds since the epoch, like every read_* statement.
MATCH (p:NightlyPartition)
RETURN p.partition AS partition, p.run_id AS run_id, p.path AS path,
       p.taken_at.epochSeconds * 1000000 + p.taken_at.microsecond AS taken_at, p.files AS files,
       p.rows_loaded AS rows_loaded, p.rows_quarantined AS rows_quarantined,
       p.quarantined_by_table AS quarantined_by_table, p.quarantine_file AS quarantine_file, p.seconds AS seconds
