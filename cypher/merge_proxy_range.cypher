// A proxy CIDR: proxy_id and version keep the newest non-null value; RANGE_OF follows proxy_id.
UNWIND $rows AS row
MERGE (r:ProxyRange {network: row.network})
SET r.version = coalesce(row.version, r.version),
    r.proxy_id = coalesce(row.proxy_id, r.proxy_id)
WITH r
CALL (r) {
  WITH r WHERE r.proxy_id IS NOT NULL
  OPTIONAL MATCH (r)-[old:RANGE_OF]->(was:Proxy) WHERE was.proxy_id <> r.proxy_id
  DELETE old
  MERGE (p:Proxy {proxy_id: r.proxy_id})
  MERGE (r)-[:RANGE_OF]->(p)
}
