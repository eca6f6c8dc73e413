CREATE (d:DetectionRun {run_id: $run_id, started_at: $started_at, finished_at: $finished_at,
                        duration_s: $duration_s, params: $params, counts: $counts})
