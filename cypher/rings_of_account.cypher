MATCH (:Account {account_id: $account_id})-[:MEMBER_OF]->(r:Ring)
MATCH (a:Account)-[:MEMBER_OF]->(r)
WITH r, collect(a.account_id) AS members
RETURN r.ring_id AS ring_id, r.score AS score, r.components AS components, r.size AS size,
       r.status AS status, r.created_run AS created_run, r.updated_run AS updated_run, members
