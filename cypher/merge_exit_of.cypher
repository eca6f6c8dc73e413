UNWIND $rows AS row
MERGE (i:IP {ip: row.ip})
MERGE (p:Proxy {proxy_id: row.proxy_id})
MERGE (i)-[:EXIT_OF]->(p)
