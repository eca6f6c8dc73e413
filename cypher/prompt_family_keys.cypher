// The band keys the ingest seeds its family index with (linkage.ingest.families.FamilyIndex).
MATCH (k:PromptFamilyKey)
RETURN k.band_key AS band_key, k.family_id AS family_id
