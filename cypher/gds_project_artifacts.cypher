// The bipartite account-artifact graph for GDS, hubs above $max_degree left out.
MATCH (a:Account)-[r:USED_IP|PAID_WITH|SENT|USED_AGENT]->(x)
WHERE COUNT { (x)<-[:USED_IP|PAID_WITH|SENT|USED_AGENT]-(:Account) } <= $max_degree
WITH gds.graph.project($graph_name, a, x, {relationshipProperties: {weight: toFloat(1)}}) AS g
RETURN g.graphName AS graph, g.nodeCount AS nodes, g.relationshipCount AS relationships
