/**
 * Pino redact paths for the daemon's root logger: the cloud credential, an Authorization header and
 * any token-like field are replaced by "[Redacted]" wherever a log object carries them, as a second
 * line of defence behind the rule that no code logs them at all (daemon/sync/client.ts, agent.ts).
 *
 *   pino({ redact: { paths: [...LOG_REDACT_PATHS], censor: "[Redacted]" } })
 */

/** Field paths (fast-redact syntax) whose values never reach a log line. */
export const LOG_REDACT_PATHS: readonly string[] = [
  "credential",
  "*.credential",
  "*.*.credential",
  "authorization",
  "*.authorization",
  "headers.authorization",
  "*.headers.authorization",
  "*.*.headers.authorization",
  "token",
  "*.token",
];
