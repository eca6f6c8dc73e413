// Guide 5: the rings of one account
// From the other end: which ring is this account in, and who else is.
// :param account_id => "acct_..."
MATCH (a:Account {account_id: $account_id})-[m:MEMBER_OF]->(r:Ring)
MATCH (other:Account)-[o:MEMBER_OF]->(r)
RETURN a, m, r, o, other
