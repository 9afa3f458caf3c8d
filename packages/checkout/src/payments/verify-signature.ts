import { createHmac, timingSafeEqual } from 'node:crypto';
import { InvalidSignatureError } from '@flash-sale/errors';

export const SIGNATURE_TOLERANCE_SECONDS = 300;

/** `v1` for a payload, as the provider computes it: HMAC-SHA256(secret, "<t>.<raw body>"), hex. */
export function signPayload(secret: string, timestamp: number, rawBody: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex');
}

/**
 * Checks a `Payment-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>…]` header (Stripe's scheme):
 * one v1 must match, compared in constant time, and t must be within 300 s of now. Throws
 * InvalidSignatureError saying which check failed.
 */
export function verifyPaymentSignature(input: { header: string | undefined; rawBody: string; secret: string; now: Date }): void {
  if (!input.header) throw new InvalidSignatureError('The Payment-Signature header is missing.');
  let timestamp: number | undefined;
  const candidates: string[] = [];
  for (const part of input.header.split(',')) {
    const separator = part.indexOf('=');
    const name = part.slice(0, separator).trim();
    const value = part.slice(separator + 1).trim();
    if (name === 't' && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    else if (name === 'v1' && /^[0-9a-f]{64}$/i.test(value)) candidates.push(value.toLowerCase());
  }
  if (timestamp === undefined || candidates.length === 0) {
    throw new InvalidSignatureError('The Payment-Signature header is malformed (expected t=<unix seconds>,v1=<hex>).');
  }
  if (Math.abs(input.now.getTime() / 1000 - timestamp) > SIGNATURE_TOLERANCE_SECONDS) {
    throw new InvalidSignatureError(`The signature timestamp is more than ${SIGNATURE_TOLERANCE_SECONDS} s from now.`);
  }
  const expected = Buffer.from(signPayload(input.secret, timestamp, input.rawBody), 'hex');
  const matches = candidates.some((candidate) => timingSafeEqual(Buffer.from(candidate, 'hex'), expected));
  if (!matches) throw new InvalidSignatureError('No v1 signature matches the payload.');
}
