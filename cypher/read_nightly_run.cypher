// Times leave as microseconds since the epoch, like every read_* statement.
MATCH (r:NightlyRun)
RETURN r.run_id AS run_id, r.started_at.epochSeconds * 1000000 + r.started_at.microsecond AS started_at,
       r.status AS status, r.date_limit AS date_limit, r.input_dir AS input_dir,
       r.ingested_at.epochSeconds * 1000000 + r.ingested_at.microsecond AS ingested_at,
       r.previous AS previous, r.detection_run_id AS detection_run_id, r.report AS report,
       r.finished_at.epochSeconds * 1000000 + r.finished_at.microsecond AS finished_at, r.exit_code AS exit_code
