MATCH (n:PromptFingerprint)
RETURN n.fingerprint AS fingerprint, n.simhash AS simhash, n.capability AS capability
