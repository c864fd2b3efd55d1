/**
 * Parsers of numeric command-line options (commander `argParser`): a bad value stops the command
 * with `error: option '--metrics-port <port>' argument 'abc' is invalid. …` instead of failing deep
 * inside Node. Defaults taken from the environment are checked the same way (`portFrom`).
 */
import { InvalidArgumentError, Option } from 'commander';

/** A TCP port, 0–65535 (0 = off where the option says so). @throws InvalidArgumentError */
export function portArgument(value: string): number {
  const port = /^\d{1,5}$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isInteger(port) || port > 65535) throw new InvalidArgumentError(`not a port number (0 to 65535, 0 = off): ${JSON.stringify(value)}`);
  return port;
}

/**
 * A port option's value: the parsed option, or its default (a string, from an environment variable
 * such as STOCKSYNC_METRICS_PORT, which commander does not parse).
 * @throws Error naming `source` when the default is not a port.
 */
export function portFrom(value: number | string, source: string): number {
  if (typeof value === 'number') return value;
  try {
    return portArgument(value);
  } catch (error) {
    throw new Error(`${source}: ${(error as Error).message}`);
  }
}

/** A whole number of at least `min` (counts, rates, seconds). @throws InvalidArgumentError */
export function integerArgument(min = 0): (value: string) => number {
  return (value) => {
    const n = /^-?\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`not a whole number of at least ${min}: ${JSON.stringify(value)}`);
    return n;
  };
}

/**
 * `--metrics-port <port>`, parsed by {@link portArgument}; its default is the environment variable
 * `env` (checked when used, by {@link portFrom}) or `fallback`.
 */
export function metricsPortOption(env: string, fallback: number): Option {
  return new Option('--metrics-port <port>', `serve /metrics (Prometheus), /healthz and /readyz on this port (0 = off; default ${env} or ${fallback})`)
    .argParser(portArgument)
    .default(process.env[env] ?? String(fallback));
}
