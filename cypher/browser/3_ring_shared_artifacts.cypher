// Guide 3: what a ring's members share
// Every artifact (IP, card, prompt, prompt family, user agent,
// e-mail domain) that at least $min_members of the ring use, with the proxy an IP exits through.
// :param ring_id => "ring_..."
// :param min_members => 2
MATCH (a:Account)-[:MEMBER_OF]->(r:Ring {ring_id: $ring_id})
MATCH (a)-[u:USED_IP|PAID_WITH|SENT|SENT_FAMILY|USED_AGENT|HAS_EMAIL_DOMAIN]->(x)
WITH x, collect(a) AS members, collect(u) AS uses
WHERE size(members) >= $min_members
OPTIONAL MATCH (x)-[e:EXIT_OF]->(p:Proxy)
RETURN x, members, uses, e, p
