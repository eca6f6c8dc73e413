MATCH (:Account)-[m:MEMBER_OF]->(:Ring) DELETE m
