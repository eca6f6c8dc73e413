MATCH (a:Account)-[r:PAID_WITH]->(x:PaymentInstrument)
RETURN a.account_id AS account_id, x.instrument_id AS instrument_id, r.payments AS payments,
       r.first_seen AS first_seen, r.last_seen AS last_seen
