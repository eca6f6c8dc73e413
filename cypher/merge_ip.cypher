UNWIND $rows AS row
MERGE (i:IP {ip: row.ip})
SET i.version = coalesce(row.version, i.version)
