MATCH (d:DetectionRun)
RETURN d.run_id AS run_id, d.started_at AS started_at, d.finished_at AS finished_at,
       d.duration_s AS duration_s, d.params AS params, d.counts AS counts
ORDER BY started_at
