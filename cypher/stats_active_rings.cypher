MATCH (r:Ring {status: 'active'})
RETURN count(r) AS n
