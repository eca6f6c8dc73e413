// Shortest evidence paths between two accounts, hop by hop: each hop is account -> shared artifact
// -> account, as in the embedded engine. Artifacts in $blocked (allowlisted, or used by too many
// accounts to link anybody) are never walked through. At most 6 hops; the caller cuts to its limit.
// Walked: the kinds detection reads (linkage.detect.inputs.KINDS) save proxies; prompt families are
// not among them yet, so SENT_FAMILY is not walked either.
MATCH (a:Account {account_id: $account_a})
MATCH (b:Account {account_id: $account_b})
MATCH p = ALL SHORTEST (a)
  ((x:Account)-[:USED_IP|PAID_WITH|SENT|USED_AGENT|HAS_EMAIL_DOMAIN]->(art)
     <-[:USED_IP|PAID_WITH|SENT|USED_AGENT|HAS_EMAIL_DOMAIN]-(y:Account)
   WHERE NOT elementId(art) IN $blocked AND x <> y){1,6}
  (b)
WITH p LIMIT $candidates
UNWIND range(0, size(relationships(p)) / 2 - 1) AS i
WITH p, i, nodes(p)[2 * i] AS x, nodes(p)[2 * i + 1] AS art, nodes(p)[2 * i + 2] AS y
WITH p, i, x, art, y, COUNT { (art)<-[:USED_IP|PAID_WITH|SENT|USED_AGENT|HAS_EMAIL_DOMAIN]-(:Account) } AS df
ORDER BY i
WITH p, collect({
  from_account: x.account_id, to_account: y.account_id, accounts_using: df,
  kind: CASE WHEN art:IP THEN 'ip' WHEN art:PaymentInstrument THEN 'payment'
             WHEN art:PromptFingerprint THEN 'prompt' WHEN art:UserAgent THEN 'user_agent'
             ELSE 'email_domain' END,
  artifact: coalesce(art.ip, art.instrument_id, art.fingerprint, art.ua_id, art.domain)
}) AS hops
RETURN hops
