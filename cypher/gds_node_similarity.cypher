CALL gds.nodeSimilarity.mutate($graph_name, {
  topK: $top_k, similarityCutoff: $cutoff, degreeCutoff: 1,
  mutateRelationshipType: 'SIMILAR', mutateProperty: 'similarity'
})
YIELD nodesCompared, relationshipsWritten
RETURN nodesCompared, relationshipsWritten
