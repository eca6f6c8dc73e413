// Aggregated events: the counter adds up, first_seen/last_seen widen; never one edge per event.
// Endpoints are MERGEd, not MATCHed, so no row is dropped for a node another table brings.
UNWIND $rows AS row
MERGE (a:Account {account_id: row.account_id})
MERGE (x:PaymentInstrument {instrument_id: row.instrument_id})
MERGE (a)-[r:PAID_WITH]->(x)
ON CREATE SET r.payments = row.payments, r.first_seen = row.first_seen, r.last_seen = row.last_seen
ON MATCH SET r.payments = CASE WHEN row.payments IS NULL THEN r.payments WHEN r.payments IS NULL THEN row.payments
                        ELSE r.payments + row.payments END,
             r.first_seen = CASE WHEN r.first_seen IS NULL OR row.first_seen < r.first_seen
                                 THEN row.first_seen ELSE r.first_seen END,
             r.last_seen = CASE WHEN r.last_seen IS NULL OR row.last_seen > r.last_seen
                                THEN row.last_seen ELSE r.last_seen END
