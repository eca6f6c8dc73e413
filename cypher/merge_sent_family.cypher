// Aggregated events: the counter adds up, first_seen/last_seen widen; never one edge per event.
UNWIND $rows AS row
MATCH (a:Account {account_id: row.account_id})
MATCH (x:PromptFamily {family_id: row.family_id})
MERGE (a)-[r:SENT_FAMILY]->(x)
ON CREATE SET r.count = row.count, r.first_seen = row.first_seen, r.last_seen = row.last_seen
ON MATCH SET r.count = r.count + row.count,
             r.first_seen = CASE WHEN row.first_seen < r.first_seen THEN row.first_seen ELSE r.first_seen END,
             r.last_seen = CASE WHEN row.last_seen > r.last_seen THEN row.last_seen ELSE r.last_seen END
