MATCH (n:IP)
RETURN n.ip AS ip, n.version AS version
