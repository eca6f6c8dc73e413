// One nightly run: its phase (ingesting, ingested, complete) and, once complete, its report (JSON).
// A missing value keeps what is stored, so each phase change writes only what it knows.
UNWIND $rows AS row
MERGE (r:NightlyRun {run_id: row.run_id})
SET r.started_at = coalesce(row.started_at, r.started_at), r.status = coalesce(row.status, r.status),
    r.date_limit = coalesce(row.date_limit, r.date_limit), r.input_dir = coalesce(row.input_dir, r.input_dir),
    r.ingested_at = coalesce(row.ingested_at, r.ingested_at), r.previous = coalesce(row.previous, r.previous),
    r.detection_run_id = coalesce(row.detection_run_id, r.detection_run_id),
    r.report = coalesce(row.report, r.report), r.finished_at = coalesce(row.finished_at, r.finished_at),
    r.exit_code = coalesce(row.exit_code, r.exit_code)
