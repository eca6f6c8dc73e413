UNWIND $rows AS row
MERGE (p:Proxy {proxy_id: row.proxy_id})
SET p.provider = coalesce(row.provider, p.provider),
    p.kind = coalesce(row.kind, p.kind)
