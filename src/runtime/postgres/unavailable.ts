import { AppError } from '../../errors/index.ts';

/**
 * Failures that mean "PostgreSQL cannot be reached right now", not "this request is wrong":
 * the server restarting, crashing or failing over, or the network to it gone. They are answered
 * 503 storage_unavailable with Retry-After (the client may try again), never 500.
 */
const DRIVER_CODES = new Set([
  // postgres.js's own connection errors
  'CONNECTION_CLOSED',
  'CONNECTION_DESTROYED',
  'CONNECTION_ENDED',
  'CONNECT_TIMEOUT',
  // the socket's
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

const SQLSTATES = new Set([
  '57P01', // admin_shutdown: the server is stopping
  '57P02', // crash_shutdown: another backend crashed, every session is being reset
  '57P03', // cannot_connect_now: starting up or in recovery after a crash
  '53300', // too_many_connections: a restarted server briefly flooded by every client's pool
  '25006', // read_only_sql_transaction: connected to a standby mid-failover, before promotion
]);

export function isStorageUnavailable(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const code = String((e as { code?: unknown }).code);
  if (DRIVER_CODES.has(code) || SQLSTATES.has(code) || code.startsWith('08')) return true;
  // Node reports a refused connection to every address of a name as one AggregateError.
  const inner = (e as { errors?: unknown }).errors;
  return Array.isArray(inner) && inner.length > 0 && inner.every(isStorageUnavailable);
}

/** The error to rethrow: unavailability as the stable 503, anything else unchanged. */
export function asStorageError(e: unknown): unknown {
  if (e instanceof AppError || !isStorageUnavailable(e)) return e;
  const code = String((e as { code?: unknown }).code);
  return new AppError('storage_unavailable', `PostgreSQL unavailable (${code})`, { cause: e });
}
