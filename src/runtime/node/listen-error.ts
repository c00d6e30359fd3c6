/**
 * The service could not take its address (issue 11, defect 13: EADDRINUSE used to surface as a
 * raw stack trace). The message is the whole story for an operator: which address, what to set.
 */
export class ListenError extends Error {}

/** `settings` names the variables that choose the address: PORT/BIND_ADDRESS, or the metrics listener's. */
export function listenError(
  e: NodeJS.ErrnoException,
  port: number,
  bind: string,
  settings: { port: string; bind: string } = { port: 'PORT', bind: 'BIND_ADDRESS' },
): Error {
  if (e.code === 'EADDRINUSE')
    return new ListenError(`port ${port} on ${bind} is in use; set ${settings.port} to a free port (or stop what holds it)`);
  if (e.code === 'EACCES') return new ListenError(`not permitted to listen on port ${port}; set ${settings.port} to one above 1023`);
  if (e.code === 'EADDRNOTAVAIL') return new ListenError(`address ${bind} is not one of this machine's; set ${settings.bind}`);
  return e;
}
