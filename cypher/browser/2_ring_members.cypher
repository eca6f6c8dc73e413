// Guide 2: one ring's members
// Most firmly tied first, with what each account itself says.
// Pick two account ids for guide 4.
// :param ring_id => "ring_..."
MATCH (a:Account)-[m:MEMBER_OF]->(r:Ring {ring_id: $ring_id})
OPTIONAL MATCH (a)-[:HAS_EMAIL_DOMAIN]->(d:EmailDomain)
RETURN a.account_id AS account, m.score AS membership, m.since AS member_since,
       a.created_at AS created_at, a.country AS country, d.domain AS email_domain
ORDER BY membership DESC, created_at, account
