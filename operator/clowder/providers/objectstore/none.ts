// Object store, mode `none`: no `objectStore` key in the config, whatever buckets the app lists.
//
// Owned resources: none.
export function provide(): void {}
