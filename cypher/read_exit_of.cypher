MATCH (i:IP)-[:EXIT_OF]->(p:Proxy)
RETURN i.ip AS ip, p.proxy_id AS proxy_id
