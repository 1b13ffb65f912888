// Feature flags, mode `none`: no `featureFlags` key in the config.
//
// Owned resources: none.
export function provide(): void {}
