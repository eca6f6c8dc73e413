// Guide 1: the top rings
// The highest-scored active rings, drawn with their members.
// Pick a ring_id from the picture or the table for the next steps.
// :param limit => 5
MATCH (r:Ring)
WHERE r.status = 'active'
WITH r ORDER BY r.score DESC, r.size DESC, r.ring_id LIMIT $limit
MATCH (a:Account)-[m:MEMBER_OF]->(r)
RETURN r, m, a
