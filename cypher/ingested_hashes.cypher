MATCH (f:IngestedFile) RETURN f.content_hash AS content_hash
