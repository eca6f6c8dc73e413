MATCH (n:PaymentInstrument)
RETURN n.instrument_id AS instrument_id, n.instrument_type AS instrument_type, n.bin AS bin, n.country AS country
