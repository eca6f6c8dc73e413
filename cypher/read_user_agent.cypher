MATCH (n:UserAgent)
RETURN n.ua_id AS ua_id, n.user_agent AS user_agent
