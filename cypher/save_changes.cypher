UNWIND $changes AS c
MATCH (d:DetectionRun {run_id: c.run_id})
CREATE (d)-[:RECORDED]->(:RingChange {run_id: c.run_id, ring_id: c.ring_id, change: c.change, detail: c.detail})
