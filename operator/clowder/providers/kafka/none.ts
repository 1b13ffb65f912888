// Kafka, mode `none`: no `kafka` key in the config and no objects, even for apps with topics.
//
// Owned resources: none.
export function provide(): void {}
