// Artifacts evidence paths must not walk through: used by more than $max_accounts accounts (a hub
// that never links, as in detection) or on the allowlist ($allowlist: [{kind, value}]).
MATCH (x)
WHERE x:IP OR x:PaymentInstrument OR x:PromptFingerprint OR x:UserAgent OR x:EmailDomain
WITH x, CASE WHEN x:IP THEN 'ip' WHEN x:PaymentInstrument THEN 'payment' WHEN x:PromptFingerprint THEN 'prompt'
            WHEN x:UserAgent THEN 'user_agent' ELSE 'email_domain' END AS kind,
     coalesce(x.ip, x.instrument_id, x.fingerprint, x.ua_id, x.domain) AS value
WHERE {kind: kind, value: value} IN $allowlist
   OR COUNT { (x)<-[:USED_IP|PAID_WITH|SENT|USED_AGENT|HAS_EMAIL_DOMAIN]-(:Account) } > $max_accounts
RETURN elementId(x) AS id
