// Requests per account, hour and model: (Account)-[:ACTIVE_IN {hour: ...}]->(Model); counters add up.
// A request without a model is kept under the model '' (as the ingest names it), never dropped.
UNWIND $rows AS row
MERGE (a:Account {account_id: row.account_id})
MERGE (m:Model {model: coalesce(row.model, '')})
MERGE (a)-[r:ACTIVE_IN {hour: row.hour}]->(m)
ON CREATE SET r.requests = row.requests, r.tokens_in = row.tokens_in, r.tokens_out = row.tokens_out
ON MATCH SET r.requests = CASE WHEN row.requests IS NULL THEN r.requests WHEN r.requests IS NULL
                               THEN row.requests ELSE r.requests + row.requests END,
             r.tokens_in = CASE WHEN row.tokens_in IS NULL THEN r.tokens_in WHEN r.tokens_in IS NULL
                                THEN row.tokens_in ELSE r.tokens_in + row.tokens_in END,
             r.tokens_out = CASE WHEN row.tokens_out IS NULL THEN r.tokens_out WHEN r.tokens_out IS NULL
                                 THEN row.tokens_out ELSE r.tokens_out + row.tokens_out END
