// Database, mode `none`: the environment offers no database, so the config has no `database`
// key, whatever the app asks for. Apps that need one fail at their own start, visibly.
//
// Owned resources: none.
export function provide(): void {}
