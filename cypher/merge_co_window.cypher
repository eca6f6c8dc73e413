// Requests per account on one artifact in one short window (lockstep evidence):
// (Account)-[:SEEN_IN_WINDOW {window_start: ...}]->(IP | PromptFingerprint | PromptFamily); the kind is the target's label.
UNWIND $rows AS row
MERGE (a:Account {account_id: row.account_id})
WITH a, row
CALL (row) {
  WITH row WHERE row.kind = 'ip'
  MERGE (x:IP {ip: row.artifact})
  RETURN x
  UNION
  WITH row WHERE row.kind = 'prompt'
  MERGE (x:PromptFingerprint {fingerprint: row.artifact})
  RETURN x
  UNION
  WITH row WHERE row.kind = 'prompt_family'
  MERGE (x:PromptFamily {family_id: row.artifact})
  RETURN x
}
MERGE (a)-[r:SEEN_IN_WINDOW {window_start: row.window_start}]->(x)
ON CREATE SET r.requests = row.requests
ON MATCH SET r.requests = CASE WHEN row.requests IS NULL THEN r.requests WHEN r.requests IS NULL
                               THEN row.requests ELSE r.requests + row.requests END
