// In-memory DB, mode `none`: no `inMemoryDb` key in the config, whatever the app asks for.
//
// Owned resources: none.
export function provide(): void {}
