import {
  applyPaymentEvent,
  cancelUnpaidOrder,
  defaultSweepOptions,
  paymentEventHash,
  redriveStalePaymentEvents,
  signPayload,
  type CheckoutDeps,
} from '@flash-sale/checkout';
import { loseDelayedJobPlace, loseJobData, sendRawHttp } from '@flash-sale/testing';
import type { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { request, sendWebhook, startApiStack, startWorker, type InProcessWorker, type ApiStack } from './support/stack.ts';

let t: ApiStack;
let worker: InProcessWorker;
beforeAll(async () => {
  t = await startApiStack({ PAYMENT_WEBHOOK_SECRET: 'whsec_test_0123456789abcdef', SWEEP_INTERVAL_SECONDS: '3600' });
  worker = await startWorker(t.config);
});
afterAll(async () => {
  await worker?.close();
  await t?.close();
});

let keys = 0;
const newKey = () => `evt_${Date.now()}_${(keys += 1)}`;
const available = async (productId: number) => (await t.db.product.findUniqueOrThrow({ where: { id: productId } })).availableStock;
const orderOf = async (orderId: number) => (await request(t.url, 'GET', `/api/orders/${orderId}`)).body;
const eventOf = (key: string) => t.db.paymentEvent.findUniqueOrThrow({ where: { idempotencyKey: key } });

async function pendingOrder(qty = 2, totalStock = 10): Promise<{ productId: number; orderId: number }> {
  const productId = await t.createProduct({ totalStock });
  const hold = await request(t.url, 'POST', '/api/holds', { body: { product_id: productId, qty } });
  const order = await request(t.url, 'POST', '/api/orders', { body: { hold_id: hold.body.hold_id } });
  expect(order.status).toBe(201);
  return { productId, orderId: order.body.order_id };
}

describe('webhook signature', () => {
  it.each([
    ['missing', { signature: '' }],
    ['malformed', { signature: 'v1=abc' }],
    ['signed with another secret', { secret: 'whsec_some_other_secret_xyz' }],
    // 5 s past the 300 s tolerance: the signed timestamp is in whole seconds (up to 1 s early)
    // and reaches the check a moment later, so a margin of 2 s could be eaten on a busy machine.
    ['too old (305 s)', { timestampOffsetSeconds: -305 }],
    ['from the future (305 s)', { timestampOffsetSeconds: 305 }],
  ])('%s -> 401 invalid_signature, nothing stored', async (_label, options) => {
    const key = newKey();
    const response = await sendWebhook(t, { order_id: 1, status: 'success' }, { key, ...options });
    expect(response.status).toBe(401);
    expect(response.body.error.code).toBe('invalid_signature');
    expect(await t.db.paymentEvent.count({ where: { idempotencyKey: key } })).toBe(0);
  });

  it('checks the signature before the body: an unsigned invalid body is still a 401', async () => {
    const response = await sendWebhook(t, { nonsense: true }, { key: newKey(), signature: 't=1,v1=00' });
    expect(response.status).toBe(401);
  });

  it('checks the signature before parsing: a body that is not JSON is a 401 unsigned, a 400 malformed_body signed', async () => {
    const raw = '{"order_id": 1, "status":';
    const timestamp = Math.floor(Date.now() / 1000);
    const send = (signature: string) =>
      request(t.url, 'POST', '/api/payments/webhook', { rawBody: raw, headers: { 'content-type': 'application/json', 'idempotency-key': newKey(), 'payment-signature': signature } });
    const unsigned = await send(`t=${timestamp},v1=${'0'.repeat(64)}`);
    expect(unsigned.status).toBe(401);
    expect(unsigned.body.error.code).toBe('invalid_signature');
    const signed = await send(`t=${timestamp},v1=${signPayload(t.config.paymentWebhookSecret, timestamp, raw)}`);
    expect(signed.status).toBe(400);
    expect(signed.body.error.code).toBe('malformed_body');
  });

  it('an Idempotency-Key header sent twice: 401 unsigned, 400 validation_failed signed, nothing stored', async () => {
    const raw = JSON.stringify({ order_id: 1, status: 'success' });
    const timestamp = Math.floor(Date.now() / 1000);
    const [first, second] = [newKey(), newKey()];
    const send = (signature: string) =>
      sendRawHttp(
        t.url,
        `POST /api/payments/webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nIdempotency-Key: ${first}\r\nIdempotency-Key: ${second}\r\n` +
          `Payment-Signature: ${signature}\r\nContent-Length: ${raw.length}\r\nConnection: close\r\n\r\n${raw}`,
      );
    expect((await send(`t=${timestamp},v1=${'0'.repeat(64)}`)).status).toBe(401);
    const signed = await send(`t=${timestamp},v1=${signPayload(t.config.paymentWebhookSecret, timestamp, raw)}`);
    expect(signed.status).toBe(400);
    expect(JSON.parse(signed.body).error.code).toBe('validation_failed');
    expect(await t.db.paymentEvent.count({ where: { idempotencyKey: { in: [first, second, `${first}, ${second}`] } } })).toBe(0);
  });

  it('accepts a timestamp 290 s off, inside the tolerance', async () => {
    const { orderId } = await pendingOrder();
    expect((await sendWebhook(t, { order_id: orderId, status: 'success' }, { key: newKey(), timestampOffsetSeconds: -290 })).status).toBe(202);
  });

  it('accepts a header with several v1 entries when one matches (secret rotation)', async () => {
    const { orderId } = await pendingOrder();
    const timestamp = Math.floor(Date.now() / 1000);
    const body = JSON.stringify({ order_id: orderId, status: 'success' });
    const good = signPayload(t.config.paymentWebhookSecret, timestamp, body);
    const response = await request(t.url, 'POST', '/api/payments/webhook', {
      rawBody: body,
      headers: {
        'content-type': 'application/json',
        'idempotency-key': newKey(),
        'payment-signature': `t=${timestamp},v1=${'0'.repeat(64)},v1=${good}`,
      },
    });
    expect(response.status).toBe(202);
  });

  it('verifies the exact bytes: re-serialised JSON with other spacing does not match', async () => {
    const timestamp = Math.floor(Date.now() / 1000);
    const signature = signPayload(t.config.paymentWebhookSecret, timestamp, '{"order_id":1,"status":"success"}');
    const response = await request(t.url, 'POST', '/api/payments/webhook', {
      rawBody: '{"order_id": 1, "status": "success"}',
      headers: { 'content-type': 'application/json', 'idempotency-key': newKey(), 'payment-signature': `t=${timestamp},v1=${signature}` },
    });
    expect(response.status).toBe(401);
  });
});

describe('webhook ingestion', () => {
  it('stores the event before answering 202 and the worker marks the order paid', async () => {
    const { orderId } = await pendingOrder();
    const key = newKey();
    const response = await sendWebhook(t, { order_id: orderId, status: 'success' }, { key });
    expect(response.status).toBe(202);
    expect(response.body).toEqual({ received: true, duplicate: false });
    const stored = await eventOf(key);
    expect(stored).toMatchObject({ orderId, result: 'success', payload: JSON.stringify({ order_id: orderId, status: 'success' }) });

    await vi.waitFor(async () => expect((await orderOf(orderId)).status).toBe('paid'), { timeout: 10_000, interval: 50 });
    await vi.waitFor(async () => expect((await eventOf(key)).outcome).toBe('applied'), { timeout: 5_000, interval: 50 });
    expect((await eventOf(key)).processedAt).toBeInstanceOf(Date);
  });

  it('answers the same key sent 10 times at once with one 202 and nine 200 duplicates, one state change', async () => {
    const { productId, orderId } = await pendingOrder(3);
    const key = newKey();
    const responses = await Promise.all(Array.from({ length: 10 }, () => sendWebhook(t, { order_id: orderId, status: 'failure' }, { key })));
    expect(responses.map((response) => response.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 202]);
    for (const response of responses.filter((each) => each.status === 200)) expect(response.body).toEqual({ received: true, duplicate: true });
    expect(await t.db.paymentEvent.count({ where: { idempotencyKey: key } })).toBe(1);

    await vi.waitFor(async () => expect((await orderOf(orderId)).status).toBe('cancelled'), { timeout: 10_000, interval: 50 });
    expect((await orderOf(orderId)).cancel_reason).toBe('payment_failed');
    expect(await available(productId)).toBe(10);
  });

  it('refuses the same key with another body (422), and still catches a duplicate after Redis lost its memory', async () => {
    const { orderId } = await pendingOrder();
    const key = newKey();
    expect((await sendWebhook(t, { order_id: orderId, status: 'success' }, { key })).status).toBe(202);
    const reused = await sendWebhook(t, { order_id: orderId, status: 'failure' }, { key });
    expect(reused.status).toBe(422);
    expect(reused.body.error.code).toBe('idempotency_key_reused');

    const remembered = await t.redis.keys(`${t.config.redisKeyPrefix}:payment-event:*`);
    expect(remembered.length).toBeGreaterThan(0);
    await t.redis.del(...remembered);
    const again = await sendWebhook(t, { order_id: orderId, status: 'success' }, { key });
    expect(again.status).toBe(200);
    expect(again.body.duplicate).toBe(true);
    expect((await sendWebhook(t, { order_id: orderId, status: 'failure' }, { key })).status).toBe(422);
    expect(await t.db.paymentEvent.count({ where: { idempotencyKey: key } })).toBe(1);
  });

  it('takes the key from the body too, and refuses a header and body key that differ', async () => {
    const { orderId } = await pendingOrder();
    const key = newKey();
    expect((await sendWebhook(t, { order_id: orderId, status: 'success', idempotency_key: key })).status).toBe(202);
    expect((await sendWebhook(t, { order_id: orderId, status: 'success', idempotency_key: key }, { key })).status).toBe(200);
    const mismatch = await sendWebhook(t, { order_id: orderId, status: 'success', idempotency_key: key }, { key: `${key}-other` });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.error.code).toBe('validation_failed');
    const missing = await sendWebhook(t, { order_id: orderId, status: 'success' });
    expect(missing.status).toBe(400);
    expect(missing.body.error.details.fields[0].field).toBe('idempotency-key');
  });

  it('takes keys that differ only by trailing spaces as two keys', async () => {
    // Only a body can carry them: HTTP trims a header's value.
    const key = newKey();
    const [first, second] = [await pendingOrder(), await pendingOrder()];
    expect((await sendWebhook(t, { order_id: first.orderId, status: 'success', idempotency_key: key })).status).toBe(202);
    expect((await sendWebhook(t, { order_id: second.orderId, status: 'success', idempotency_key: `${key} ` })).status).toBe(202);
    const again = await sendWebhook(t, { order_id: first.orderId, status: 'success', idempotency_key: `${key}  ` });
    expect({ status: again.status, body: again.body }).toEqual({ status: 202, body: { received: true, duplicate: false } });
    const stored = await t.db.paymentEvent.findMany({ where: { idempotencyKey: { startsWith: key } }, orderBy: { id: 'asc' } });
    expect(stored.map((event) => [event.idempotencyKey, event.orderId])).toEqual([
      [key, first.orderId],
      [`${key} `, second.orderId],
      [`${key}  `, first.orderId],
    ]);
    await vi.waitFor(async () => expect((await orderOf(second.orderId)).status).toBe('paid'), { timeout: 10_000, interval: 50 });
  });

  it('stores a body of exactly the size limit (64 KiB) whole', async () => {
    const { orderId } = await pendingOrder();
    const key = newKey();
    const json = JSON.stringify({ order_id: orderId, status: 'success' });
    // JSON allows whitespace between its tokens: the same body, padded to the limit.
    const raw = `${json.slice(0, -1)}${' '.repeat(65_536 - json.length)}}`;
    expect(Buffer.byteLength(raw)).toBe(65_536);
    const timestamp = Math.floor(Date.now() / 1000);
    const response = await request(t.url, 'POST', '/api/payments/webhook', {
      rawBody: raw,
      headers: { 'content-type': 'application/json', 'idempotency-key': key, 'payment-signature': `t=${timestamp},v1=${signPayload(t.config.paymentWebhookSecret, timestamp, raw)}` },
    });
    expect(response.status).toBe(202);
    expect((await eventOf(key)).payload).toBe(raw);
  });

  it.each([
    ['an unknown status', { order_id: 1, status: 'refunded' }],
    ['an unknown field', { order_id: 1, status: 'success', amount: '1.00' }],
    ['a bad order id', { order_id: 0, status: 'success' }],
  ])('a signed body with %s -> 400 validation_failed, nothing stored', async (_label, body) => {
    const key = newKey();
    const response = await sendWebhook(t, body, { key });
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('validation_failed');
    expect(await t.db.paymentEvent.count({ where: { idempotencyKey: key } })).toBe(0);
  });
});

describe('webhook before its order exists', () => {
  it.each([
    ['success', 'paid', null],
    ['failure', 'cancelled', 'payment_failed'],
  ] as const)('a %s that arrives first is applied once the order appears, with no further call', async (status, expected, reason) => {
    const productId = await t.createProduct({ totalStock: 10 });
    const maxId = (await t.db.order.aggregate({ _max: { id: true } }))._max.id ?? 0;
    const nextOrderId = maxId + 1000;
    await t.db.$executeRawUnsafe(`ALTER TABLE orders AUTO_INCREMENT = ${nextOrderId}`);
    const key = newKey();
    expect((await sendWebhook(t, { order_id: nextOrderId, status }, { key })).status).toBe(202);
    const jobId = `payment-event-${(await eventOf(key)).id}`;
    // The worker has seen it and is waiting for the order: said as such, without a stack.
    await vi.waitFor(() => expect(worker.logs.some((line) => line.msg === 'job will be retried' && line.jobId === jobId)).toBe(true), {
      timeout: 10_000,
      interval: 50,
    });
    const waiting = worker.logs.find((line) => line.msg === 'job will be retried' && line.jobId === jobId)!;
    expect(waiting).toMatchObject({ level: 'info', waitsFor: 'order', reason: expect.stringContaining('does not exist yet') });
    expect(waiting).not.toHaveProperty('err');

    const hold = await request(t.url, 'POST', '/api/holds', { body: { product_id: productId, qty: 4 } });
    const order = await request(t.url, 'POST', '/api/orders', { body: { hold_id: hold.body.hold_id } });
    expect(order.body.order_id).toBe(nextOrderId);
    // Usually at once (the order re-drives it); at worst after the retry's backoff of a few seconds.
    await vi.waitFor(async () => expect((await orderOf(nextOrderId)).status).toBe(expected), { timeout: 15_000, interval: 50 });
    expect((await orderOf(nextOrderId)).cancel_reason).toBe(reason);
    expect((await eventOf(key)).outcome).toBe('applied');
    expect(await available(productId)).toBe(expected === 'paid' ? 6 : 10);
  });

  it('marks an event orphaned when its order never appears within WEBHOOK_ORPHAN_AFTER_SECONDS', async () => {
    const key = newKey();
    expect((await sendWebhook(t, { order_id: 1_999_999, status: 'success' }, { key })).status).toBe(202);
    const event = await eventOf(key);
    // Age the event instead of waiting an hour.
    await t.db.paymentEvent.update({ where: { id: event.id }, data: { receivedAt: new Date(Date.now() - 3601_000) } });
    const job = await t.queue('payment-webhook').getJob(`payment-event-${event.id}`);
    await job?.promote().catch(() => undefined);
    await vi.waitFor(async () => expect((await eventOf(key)).outcome).toBe('orphaned'), { timeout: 10_000, interval: 50 });
  });
});

describe('results out of order, and racing the timeout', () => {
  it('failure then success (different keys): stays cancelled, the success is recorded as a conflict', async () => {
    const { productId, orderId } = await pendingOrder(2);
    const failureKey = newKey();
    await sendWebhook(t, { order_id: orderId, status: 'failure' }, { key: failureKey });
    await vi.waitFor(async () => expect((await eventOf(failureKey)).outcome).toBe('applied'), { timeout: 10_000, interval: 50 });
    const successKey = newKey();
    await sendWebhook(t, { order_id: orderId, status: 'success' }, { key: successKey });
    await vi.waitFor(async () => expect((await eventOf(successKey)).outcome).toBe('conflict'), { timeout: 10_000, interval: 50 });

    expect((await eventOf(successKey)).outcomeDetail).toBe('payment success for an order already cancelled (payment_failed)');
    expect((await orderOf(orderId)).status).toBe('cancelled');
    expect(await available(productId)).toBe(10);
    // A repeated failure under a new key agrees with the final state: ignored, stock untouched.
    const repeatKey = newKey();
    await sendWebhook(t, { order_id: orderId, status: 'failure' }, { key: repeatKey });
    await vi.waitFor(async () => expect((await eventOf(repeatKey)).outcome).toBe('ignored_duplicate_state'), { timeout: 10_000, interval: 50 });
    expect(await available(productId)).toBe(10);
  });

  it('returns the stock exactly once when a failure and the payment timeout race for the same order', async () => {
    await worker.close();
    const productId = await t.createProduct({ totalStock: 40 });
    const orders: { orderId: number; eventId: number }[] = [];
    for (let index = 0; index < 20; index += 1) {
      const hold = await request(t.url, 'POST', '/api/holds', { body: { product_id: productId, qty: 2 } });
      const order = await request(t.url, 'POST', '/api/orders', { body: { hold_id: hold.body.hold_id } });
      const key = newKey();
      await sendWebhook(t, { order_id: order.body.order_id, status: 'failure' }, { key });
      orders.push({ orderId: order.body.order_id, eventId: (await eventOf(key)).id });
    }
    expect(await available(productId)).toBe(0);

    // Both paths, for real, in parallel, with the clock past every payment deadline.
    const deps: CheckoutDeps = { ...(await t.domain()), clock: { now: () => new Date(Date.now() + 901_000) } };
    await Promise.all(orders.flatMap(({ orderId, eventId }) => [cancelUnpaidOrder(deps, orderId), applyPaymentEvent(deps, eventId)]));

    expect(await available(productId)).toBe(40);
    const finals = await t.db.order.findMany({ where: { productId }, select: { status: true, cancelReason: true } });
    expect(finals.every((order) => order.status === 'cancelled')).toBe(true);
    const outcomes = await t.db.paymentEvent.findMany({ where: { id: { in: orders.map((order) => order.eventId) } }, select: { outcome: true } });
    // Where the timeout won, the failure agrees with the final state; where the failure won, it applied.
    expect(outcomes.every((event) => event.outcome === 'applied' || event.outcome === 'ignored_duplicate_state')).toBe(true);
    worker = await startWorker(t.config);
  });
});

describe('two contradictory results for one order, both received in time', () => {
  it('the first received decides, whichever job runs first, alone or at once', async () => {
    await worker.close();
    try {
      const productId = await t.createProduct({ totalStock: 24 });
      const cases: { orderId: number; first: { id: number; result: 'success' | 'failure' }; second: { id: number } }[] = [];
      for (let index = 0; index < 12; index += 1) {
        const hold = await request(t.url, 'POST', '/api/holds', { body: { product_id: productId, qty: 2 } });
        const orderId = (await request(t.url, 'POST', '/api/orders', { body: { hold_id: hold.body.hold_id } })).body.order_id;
        const [firstResult, secondResult] = index % 2 ? (['success', 'failure'] as const) : (['failure', 'success'] as const);
        const [firstKey, secondKey] = [newKey(), newKey()];
        await sendWebhook(t, { order_id: orderId, status: firstResult }, { key: firstKey });
        await sendWebhook(t, { order_id: orderId, status: secondResult }, { key: secondKey });
        cases.push({ orderId, first: { id: (await eventOf(firstKey)).id, result: firstResult }, second: { id: (await eventOf(secondKey)).id } });
      }
      const deps = await t.domain();
      // A third: the later result's job alone, before the first's. A third: the first's alone. The rest: both at once.
      await Promise.all(
        cases.map(async ({ first, second }, index) => {
          if (index % 3 === 0) {
            await applyPaymentEvent(deps, second.id);
            await applyPaymentEvent(deps, first.id);
          } else if (index % 3 === 1) {
            await applyPaymentEvent(deps, first.id);
            await applyPaymentEvent(deps, second.id);
          } else {
            await Promise.all([applyPaymentEvent(deps, second.id), applyPaymentEvent(deps, first.id)]);
          }
        }),
      );

      for (const { orderId, first, second } of cases) {
        const order = await t.db.order.findUniqueOrThrow({ where: { id: orderId } });
        expect([order.status, order.cancelReason]).toEqual(first.result === 'success' ? ['paid', null] : ['cancelled', 'payment_failed']);
        const outcomes = await t.db.paymentEvent.findMany({ where: { id: { in: [first.id, second.id] } }, orderBy: { id: 'asc' }, select: { id: true, outcome: true } });
        expect(outcomes).toEqual([
          { id: first.id, outcome: 'applied' },
          { id: second.id, outcome: 'conflict' },
        ]);
      }
      // The six failures returned their 2 units each, once.
      expect(await available(productId)).toBe(12);
    } finally {
      worker = await startWorker(t.config);
    }
  });
});

describe('an order\'s times', () => {
  it('come from the clock that decided the order, as its created_at and payment deadline do', async () => {
    await worker.close();
    try {
      const { orderId } = await pendingOrder();
      const key = newKey();
      await sendWebhook(t, { order_id: orderId, status: 'success' }, { key });
      // A worker whose clock runs a minute ahead of MySQL's.
      const deps: CheckoutDeps = { ...(await t.domain()), clock: { now: () => new Date(Date.now() + 60_000) } };
      const before = Date.now();
      await applyPaymentEvent(deps, (await eventOf(key)).id);
      const order = await t.db.order.findUniqueOrThrow({ where: { id: orderId } });
      expect(order.status).toBe('paid');
      expect(order.updatedAt.getTime()).toBeGreaterThanOrEqual(before + 60_000);
    } finally {
      worker = await startWorker(t.config);
    }
  });
});

describe('the sweeper re-drives payment events', () => {
  /** A success stored a minute ago, as the api would have before answering 202, with no job. */
  const storeSuccessUnseen = (orderId: number, key: string) =>
    t.db.paymentEvent.create({
      data: {
        idempotencyKey: key,
        orderId,
        result: 'success',
        bodyHash: paymentEventHash({ orderId, result: 'success' }),
        payload: JSON.stringify({ order_id: orderId, status: 'success' }),
        receivedAt: new Date(Date.now() - 60_000),
      },
    });

  it('applies a stored event whose job was never enqueued (the api died between commit and enqueue)', async () => {
    const { orderId } = await pendingOrder();
    const key = newKey();
    const event = await storeSuccessUnseen(orderId, key);
    expect(await t.queue('payment-webhook').getJob(`payment-event-${event.id}`)).toBeUndefined();

    expect(await redriveStalePaymentEvents(await t.domain(), defaultSweepOptions)).toBeGreaterThanOrEqual(1);
    await vi.waitFor(async () => expect((await orderOf(orderId)).status).toBe('paid'), { timeout: 10_000, interval: 50 });
    expect((await eventOf(key)).outcome).toBe('applied');
  });

  it.each([
    ['its hash lost its data (an evicted or rewritten key)', (queue: Queue, jobId: string) => loseJobData(t.redis, queue, jobId)],
    ['its id is in no list (a failover that lost the list write)', (queue: Queue, jobId: string) => loseDelayedJobPlace(t.redis, queue, jobId)],
  ])('replaces and applies an event whose job Redis kept only part of: %s', async (_label, breakJob) => {
    const { orderId } = await pendingOrder();
    const key = newKey();
    const event = await storeSuccessUnseen(orderId, key);
    // A job of the event, due in an hour (an early webhook waiting out its backoff), then broken.
    const queue = t.queue('payment-webhook');
    const jobId = `payment-event-${event.id}`;
    await queue.add('apply-payment-event', { paymentEventId: event.id }, { jobId, delay: 3_600_000 });
    await breakJob(queue, jobId);
    expect(await (await queue.getJob(jobId))!.getState()).not.toBe('active');

    await redriveStalePaymentEvents(await t.domain(), defaultSweepOptions);
    await vi.waitFor(async () => expect((await orderOf(orderId)).status).toBe('paid'), { timeout: 10_000, interval: 50 });
    expect((await eventOf(key)).outcome).toBe('applied');
  });

  it('leaves an event that is waiting out its backoff for a missing order alone', async () => {
    const key = newKey();
    expect((await sendWebhook(t, { order_id: 1_888_888, status: 'success' }, { key })).status).toBe(202);
    const event = await eventOf(key);
    const jobId = `payment-event-${event.id}`;
    await vi.waitFor(() => expect(worker.logs.some((line) => line.msg === 'job will be retried' && line.jobId === jobId)).toBe(true), {
      timeout: 10_000,
      interval: 50,
    });
    // Keep the worker from running the job again during the check: its 1 s backoff could end
    // midway on a busy machine. pause() lets an attempt in progress finish (and be delayed again).
    const paymentWorker = worker.runtime.workers.find((each) => each.name === 'payment-webhook')!;
    await paymentWorker.pause();
    try {
      await t.db.paymentEvent.update({ where: { id: event.id }, data: { receivedAt: new Date(Date.now() - 60_000) } });
      const job = await t.queue('payment-webhook').getJob(jobId);
      expect(await job!.getState()).toBe('delayed');
      const attemptsBefore = job!.attemptsMade;

      await redriveStalePaymentEvents(await t.domain(), defaultSweepOptions);
      expect(await job!.getState()).toBe('delayed');
      expect((await t.queue('payment-webhook').getJob(jobId))!.attemptsMade).toBe(attemptsBefore);
      expect(t.logs.some((line) => line.msg === 'payment event re-driven by the sweeper' && line.paymentEventId === event.id)).toBe(false);
    } finally {
      paymentWorker.resume();
    }
  });
});
