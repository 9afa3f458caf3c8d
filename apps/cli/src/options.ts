import { Argument, InvalidArgumentError } from '@commander-js/extra-typings';
import { queueNames, type QueueName } from '@flash-sale/queues';

// Argument parsers for commander. Throwing InvalidArgumentError makes commander print the
// problem with the option's name and exit through the usage path (exit code 2).

export function parseQueueName(value: string): QueueName {
  if ((queueNames as string[]).includes(value)) return value as QueueName;
  throw new InvalidArgumentError(`unknown queue '${value}' (queues: ${queueNames.join(', ')}).`);
}

/** The `<queue>` every queue command takes first. */
export const queueArgument = () => new Argument('<queue>', `${queueNames.slice(0, -1).join(', ')} or ${queueNames.at(-1)}`).argParser(parseQueueName);

function parseInteger(value: string, minimum: number): number {
  if (!/^\d+$/.test(value) || Number(value) < minimum || !Number.isSafeInteger(Number(value))) {
    throw new InvalidArgumentError(`expected a whole number >= ${minimum}, got '${value}'.`);
  }
  return Number(value);
}

export const parsePositiveInteger = (value: string) => parseInteger(value, 1);
export const parseNonNegativeInteger = (value: string) => parseInteger(value, 0);

/** The refresh interval of `watch`: at least 100 ms, so it cannot hammer Redis. */
export const parseIntervalMs = (value: string) => parseInteger(value, 100);

const unitMs = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** "30s", "15m", "1h", "2d", "500ms" -> milliseconds. */
export function parseDuration(value: string): number {
  const match = /^(\d+)(ms|s|m|h|d)$/.exec(value.trim());
  if (!match) throw new InvalidArgumentError(`expected a duration like 30s, 15m, 1h or 2d, got '${value}'.`);
  return Number(match[1]) * unitMs[match[2] as keyof typeof unitMs];
}
