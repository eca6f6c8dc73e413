// Rings keep their id from run to run; score components and shared artifacts are JSON strings.
UNWIND $rings AS ring
MERGE (r:Ring {ring_id: ring.ring_id})
SET r.score = ring.score, r.components = ring.components, r.size = ring.size,
    r.status = ring.status, r.created_run = ring.created_run, r.updated_run = ring.updated_run,
    r.artifacts = ring.artifacts
WITH r, ring
MATCH (d:DetectionRun {run_id: ring.updated_run})
MERGE (r)-[:DETECTED_IN]->(d)
