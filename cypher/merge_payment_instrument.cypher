UNWIND $rows AS row
MERGE (p:PaymentInstrument {instrument_id: row.instrument_id})
SET p.instrument_type = coalesce(row.instrument_type, p.instrument_type),
    p.bin = coalesce(row.bin, p.bin),
    p.country = coalesce(row.country, p.country)
