// One run; params and counts are JSON strings (maps of mixed values are not Neo4j properties).
CREATE (d:DetectionRun {run_id: $run_id, started_at: $started_at, finished_at: $finished_at,
                        duration_s: $duration_s, params: $params, counts: $counts})
