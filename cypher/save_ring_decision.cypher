// An analyst's verdict on a ring, appended (the latest one per ring is its status); $artifacts: list of strings.
CREATE (:RingDecision {ring_id: $ring_id, status: $status, note: $note, author: $author, at: $at,
                       size: $size, score: $score, artifacts: $artifacts, seq: $seq})
