// Shortest evidence paths between two accounts through shared artifacts, for analysts in Browser.
MATCH (a:Account {account_id: $account_a})
MATCH (b:Account {account_id: $account_b})
MATCH p = allShortestPaths((a)-[:USED_IP|PAID_WITH|SENT|USED_AGENT|HAS_EMAIL_DOMAIN*..8]-(b))
RETURN [n IN nodes(p) | coalesce(n.account_id, n.ip, n.instrument_id, n.fingerprint, n.ua_id, n.domain)] AS hops,
       [n IN nodes(p) | labels(n)[0]] AS kinds
LIMIT $limit
