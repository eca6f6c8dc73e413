// Rings with their members; $ring_id and $account_id narrow it to one ring or one account's rings.
MATCH (r:Ring)
WHERE ($include_dissolved OR r.status = 'active')
  AND ($ring_id IS NULL OR r.ring_id = $ring_id)
  AND ($account_id IS NULL OR EXISTS { (:Account {account_id: $account_id})-[:MEMBER_OF]->(r) })
CALL (r) {
  OPTIONAL MATCH (a:Account)-[:MEMBER_OF]->(r) WHERE $with_members
  RETURN collect(a.account_id) AS members
}
RETURN r.ring_id AS ring_id, r.score AS score, r.components AS components, r.size AS size,
       r.status AS status, r.created_run AS created_run, r.updated_run AS updated_run,
       r.artifacts AS artifacts, members
ORDER BY score DESC, size DESC, ring_id
