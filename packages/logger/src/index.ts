import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';

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

/** One pino logger per process, named after it (`api`, `worker`, `cli`). */
export function createLogger(name: string, level: LoggerOptions['level'] = 'info', destination?: DestinationStream): Logger {
  const options: LoggerOptions = {
    name,
    level,
    base: { name, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: redactPaths, censor: '[redacted]' },
    formatters: { level: (label) => ({ level: label }) },
  };
  return destination ? pino(options, destination) : pino(options);
}
