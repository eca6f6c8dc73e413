MATCH (n:PromptFamily)
RETURN n.family_id AS family_id, n.capability AS capability
