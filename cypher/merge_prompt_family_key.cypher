// MinHash band keys learnt per family; a key keeps the family it was first learnt for
// (the smaller id when two claim it in one batch), so family ids stay stable night to night.
UNWIND $rows AS row
MERGE (k:PromptFamilyKey {band_key: row.band_key})
ON CREATE SET k.family_id = row.family_id
ON MATCH SET k.family_id = CASE WHEN row.family_id < k.family_id THEN row.family_id ELSE k.family_id END
