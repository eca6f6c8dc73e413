UNWIND $rows AS row
MERGE (r:ProxyRange {network: row.network})
SET r.version = coalesce(row.version, r.version)
WITH r, row
MATCH (p:Proxy {proxy_id: row.proxy_id})
MERGE (r)-[:RANGE_OF]->(p)
