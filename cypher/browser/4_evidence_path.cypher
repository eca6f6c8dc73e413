// Guide 4: the evidence path between two members
// Hop by hop: every shortest path from one account
// to the other through what they share, proxies included (the picture of `linkage evidence A B`;
// unlike that command it does not step around hub artifacts, so look at how many accounts use a hop).
// :param account_a => "acct_..."
// :param account_b => "acct_..."
// :param limit => 10
MATCH (a:Account {account_id: $account_a})
MATCH (b:Account {account_id: $account_b})
MATCH p = allShortestPaths((a)-[:USED_IP|PAID_WITH|SENT|SENT_FAMILY|USED_AGENT|HAS_EMAIL_DOMAIN|EXIT_OF*..8]-(b))
RETURN p
LIMIT $limit
