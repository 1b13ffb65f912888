// Web, mode `none`: in Clowder `none` and `operator` produce exactly the same objects and config
// (§3.4); the difference only ever mattered for Clowder's own ingress set-up. So `none` is the
// `operator` implementation under another name, rather than a copy that could drift.
export { provide } from './operator.ts';
