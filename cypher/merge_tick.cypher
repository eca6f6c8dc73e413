// Requests per account in one short time bucket (synchrony evidence, detect/synchrony.py):
// (Account)-[:ACTIVE_AT {tick_start}]->(the same Account); a tick has no artifact, so the edge loops.
UNWIND $rows AS row
MERGE (a:Account {account_id: row.account_id})
MERGE (a)-[r:ACTIVE_AT {tick_start: row.tick_start}]->(a)
ON CREATE SET r.requests = row.requests
ON MATCH SET r.requests = CASE WHEN row.requests IS NULL THEN r.requests WHEN r.requests IS NULL
                               THEN row.requests ELSE r.requests + row.requests END
