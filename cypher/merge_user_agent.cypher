UNWIND $rows AS row
MERGE (u:UserAgent {ua_id: row.ua_id})
SET u.user_agent = coalesce(row.user_agent, u.user_agent)
