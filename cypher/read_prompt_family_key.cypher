MATCH (n:PromptFamilyKey)
RETURN n.band_key AS band_key, n.family_id AS family_id
