import { signPayload } from '@flash-sale/checkout';
import { call, type Answer } from './load.ts';

export const WEBHOOK_SECRET = 'whsec_fault_suite_0123456789';

/** A payment webhook as the provider sends it: signed with the shared secret, keyed. */
export function sendWebhook(apiUrl: string, body: { order_id: number; status: 'success' | 'failure' }, key: string): Promise<Answer> {
  const raw = JSON.stringify(body);
  const t = Math.floor(Date.now() / 1000);
  return call(apiUrl, 'POST', '/api/payments/webhook', {
    rawBody: raw,
    headers: { 'content-type': 'application/json', 'idempotency-key': key, 'payment-signature': `t=${t},v1=${signPayload(WEBHOOK_SECRET, t, raw)}` },
  });
}
