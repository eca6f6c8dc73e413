CALL gds.leiden.stream($graph_name, {
  relationshipTypes: ['SIMILAR'], relationshipWeightProperty: 'similarity',
  randomSeed: $seed, includeIntermediateCommunities: false
})
YIELD nodeId, communityId
RETURN gds.util.asNode(nodeId).account_id AS account_id, communityId AS community
