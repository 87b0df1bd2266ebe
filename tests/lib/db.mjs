// SQL against the test stack's PostgreSQL as the superuser: row-level security hides rows from
// the server's own role unless a clinic scope is set, and these checks look across clinics.
import { execFileSync } from 'node:child_process';

export function psql(stack, sql) {
  return execFileSync('psql', ['-h', '127.0.0.1', '-p', stack.pgPort, '-U', 'postgres', '-d', 'triage', '-qtAc', sql])
    .toString().trim();
}
