UNWIND $members AS m
MATCH (a:Account {account_id: m.account_id})
MATCH (r:Ring {ring_id: m.ring_id})
CREATE (a)-[:MEMBER_OF {score: m.score, since: m.since}]->(r)
RETURN count(*) AS written
