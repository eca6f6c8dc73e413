// Memberships are replaced whole by each run, as the embedded engine does.
MATCH (:Account)-[m:MEMBER_OF]->(:Ring)
DELETE m
