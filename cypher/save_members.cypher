UNWIND $members AS m
MATCH (a:Account {account_id: m.account_id})
MATCH (r:Ring {ring_id: m.ring_id})
MERGE (a)-[e:MEMBER_OF]->(r)
SET e.score = m.score, e.since = m.since
