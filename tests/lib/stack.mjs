// Loads the addresses of the services tests/peers/stack.sh started (TRIAGE_TEST_ENV_FILE) into
// process.env, and helpers to drive the outage drills.
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

export function loadStack() {
  const file = process.env.TRIAGE_TEST_ENV_FILE;
  if (!file) return null;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) process.env[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return {
    base: process.env.TRIAGE_TEST_BASE_URL,
    dir: process.env.TRIAGE_TEST_DIR,
    serverLog: process.env.TRIAGE_TEST_SERVER_LOG,
    pgPort: process.env.TRIAGE_TEST_PG_PORT,
    redisPort: process.env.TRIAGE_TEST_REDIS_PORT,
  };
}

export function stackCommand(cmd) {
  execFileSync('bash', [process.env.TRIAGE_TEST_STACK, cmd, process.env.TRIAGE_TEST_DIR], { stdio: 'inherit' });
}
