MATCH (n:ProxyRange)
RETURN n.network AS network, n.proxy_id AS proxy_id, n.version AS version
