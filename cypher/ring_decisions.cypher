MATCH (d:RingDecision)
WHERE $ring_ids IS NULL OR d.ring_id IN $ring_ids
RETURN d.ring_id AS ring_id, d.status AS status, d.note AS note, d.author AS author, d.at AS at,
       d.size AS size, d.score AS score, d.artifacts AS artifacts
ORDER BY d.at, d.seq
