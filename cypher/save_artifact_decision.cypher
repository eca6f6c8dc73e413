// Allowlist actions, appended: an artifact is allowlisted while its latest action is 'allow'.
CREATE (:ArtifactDecision {kind: $kind, artifact_key: $key, action: $action, reason: $reason,
                           author: $author, at: $at, seq: $seq})
