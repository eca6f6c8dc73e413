// A prompt family: near-duplicate prompts (one template whatever its fill-ins); the id comes from the content.
UNWIND $rows AS row
MERGE (f:PromptFamily {family_id: row.family_id})
SET f.capability = coalesce(row.capability, f.capability)
