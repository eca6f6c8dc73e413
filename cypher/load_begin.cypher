MERGE (p:PendingLoad {token: $token})
ON CREATE SET p.files = $files, p.started_at = $started_at
