#!/bin/sh
# neo4j-server.sh assemble|start|status|stop [--dir DIR] [--bolt-port N] [--http-port N] [--heap 768m]
# See docker/README.md. Needs python3; assembling needs java 17 and mvn.
exec python3 "$(dirname "$0")/neo4j_server.py" "$@"
