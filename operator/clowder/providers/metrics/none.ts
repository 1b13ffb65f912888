// Metrics, mode `none`: the app still gets its metrics port and path (Clowder treats metrics as
// always on); only the monitoring objects of mode `operator` are left out, and this kit creates
// none of those. So the behaviour is `operator`'s.
export { provide } from './operator.ts';
