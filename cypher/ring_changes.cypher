MATCH (c:RingChange)
WHERE $run_id IS NULL OR c.run_id = $run_id
RETURN c.run_id AS run_id, c.ring_id AS ring_id, c.change AS change, c.detail AS detail
ORDER BY run_id, ring_id
