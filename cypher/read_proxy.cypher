MATCH (n:Proxy)
RETURN n.proxy_id AS proxy_id, n.provider AS provider, n.kind AS kind
