UNWIND $rows AS row
MATCH (i:IP {ip: row.ip})
MATCH (p:Proxy {proxy_id: row.proxy_id})
MERGE (i)-[:EXIT_OF]->(p)
