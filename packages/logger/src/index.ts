import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

// Secrets and signatures never reach a log line, whatever logs them.
const redactPaths = [
  'req.headers.authorization',
  'req.headers["payment-signature"]',
  'req.headers.cookie',
  'headers["payment-signature"]',
  'paymentWebhookSecret',
  'config.paymentWebhookSecret',
  'password',
  '*.password',
];

export type LogFormat = 'json' | 'pretty';

export interface LoggerSettings {
  /** Default: pretty when stdout is a terminal, JSON anywhere else (pipes, files, containers). */
  format?: LogFormat | undefined;
  /** Where lines go instead of stdout (tests, the CLI's stderr): always JSON. */
  destination?: DestinationStream | undefined;
}

/**
 * LOG_FORMAT as the environment has it, for the one line a process prints when its configuration
 * is what failed (anything but json or pretty: the default).
 */
export function logFormatFromEnvironment(env: NodeJS.ProcessEnv = process.env): LogFormat | undefined {
  return env.LOG_FORMAT === 'json' || env.LOG_FORMAT === 'pretty' ? env.LOG_FORMAT : undefined;
}

/** The format a process logs in: as asked, else pretty for a person at a terminal. */
export function logFormatOf(format: LogFormat | undefined, stdoutIsTerminal = Boolean(process.stdout.isTTY)): LogFormat {
  return format ?? (stdoutIsTerminal ? 'pretty' : 'json');
}

/** One pino logger per process, named after it (`api`, `worker`, `cli`). */
export function createLogger(name: string, level: LoggerOptions['level'] = 'info', settings: LoggerSettings = {}): Logger {
  const options: LoggerOptions = {
    name,
    level,
    base: { name, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: redactPaths, censor: '[redacted]' },
    formatters: { level: (label) => ({ level: label }) },
  };
  if (settings.destination) return pino(options, settings.destination);
  if (logFormatOf(settings.format) === 'json') return pino(options);
  // pino's own pretty printer, in-process and synchronous: a fatal line is on the screen
  // before the process exits.
  return pino(options, pretty({ sync: true, colorize: Boolean(process.stdout.isTTY), translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' }));
}
