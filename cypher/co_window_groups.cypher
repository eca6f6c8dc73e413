// Accounts acting on one artifact in one short window, for lockstep evidence: groups of
// 2..$max_group accounts only (most windows hold one account and never leave the server).
MATCH (a:Account)-[r:SEEN_IN_WINDOW]->(x)
WHERE (x:IP AND 'ip' IN $kinds) OR (x:PromptFingerprint AND 'prompt' IN $kinds)
   OR (x:PromptFamily AND 'prompt_family' IN $kinds)
WITH x, r.window_start AS window_start, collect(a.account_id) AS accounts
WHERE size(accounts) >= 2 AND size(accounts) <= $max_group
RETURN x:IP AS is_ip, accounts
