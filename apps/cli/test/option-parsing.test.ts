import { InvalidArgumentError } from '@commander-js/extra-typings';
import { describe, expect, it } from 'vitest';
import { parseDuration, parseIntervalMs, parsePositiveInteger, parseQueueName } from '../src/options.ts';
import { formatDuration } from '../src/output.ts';

// The parsers commander calls; a rejection here is what turns into exit code 2.

describe('option parsers', () => {
  it('reads durations in ms, s, m, h and d', () => {
    expect(parseDuration('0s')).toBe(0);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('15m')).toBe(900_000);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('2d')).toBe(172_800_000);
  });

  it('rejects what is not a duration, a whole number or a queue', () => {
    for (const bad of ['', '10', '1.5h', '-1s', 'ten minutes', '1w']) expect(() => parseDuration(bad)).toThrow(InvalidArgumentError);
    for (const bad of ['0', '-3', '1.5', 'abc', '1e3']) expect(() => parsePositiveInteger(bad)).toThrow(InvalidArgumentError);
    expect(() => parseIntervalMs('99')).toThrow(InvalidArgumentError);
    expect(() => parseQueueName('emails')).toThrow(/unknown queue 'emails' \(queues: hold-expiry, order-timeout, payment-webhook\)/);
    expect(parseQueueName('order-timeout')).toBe('order-timeout');
  });
});

describe('formatDuration', () => {
  it('shows the two largest units', () => {
    expect(formatDuration(250)).toBe('250ms');
    expect(formatDuration(59_000)).toBe('59s');
    expect(formatDuration(93_000)).toBe('1m 33s');
    expect(formatDuration(3_600_000)).toBe('1h');
    expect(formatDuration(90_061_000)).toBe('1d 1h');
    // An age from a clock ahead of ours reads 0, not a negative duration.
    expect(formatDuration(-5_000)).toBe('0ms');
  });
});
