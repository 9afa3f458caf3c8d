import type { FastifyReply, FastifyRequest } from 'fastify';
import { runIdempotent, type CheckoutDeps, type KeyCompletion } from '@flash-sale/checkout';
import { ValidationFailedError } from '@flash-sale/errors';

interface Response {
  status: number;
  body: unknown;
}

/**
 * Adapts a state-changing route to the idempotency rules (docs/api.md, "Idempotency"): with an
 * Idempotency-Key the operation runs at most once per key and endpoint, and a repeat gets the
 * stored response again, marked `Idempotent-Replayed: true`. Without a key it simply runs.
 * `replayMovedStock`: a replayed success names a product (`product_id`) whose stock it moved.
 */
export async function replyIdempotently<R>(
  deps: Pick<CheckoutDeps, 'db' | 'clock' | 'logger' | 'abandonedClaims' | 'keyClaimer' | 'productReader'>,
  request: FastifyRequest,
  reply: FastifyReply,
  execute: (completion?: KeyCompletion<R>) => Promise<R>,
  present: (result: R) => Response,
  options: { replayMovedStock?: boolean } = {},
): Promise<FastifyReply> {
  const key = idempotencyKeyOf(request);
  if (key === undefined) {
    const response = present(await execute());
    return reply.code(response.status).send(response.body);
  }
  const scope = `${request.method} ${request.routeOptions.url}`;
  const response = await runIdempotent(deps, { scope, key, body: request.body }, execute, present);
  if (response.replayed) {
    request.log.info({ scope, status: response.status }, 'idempotent request replayed');
    reply.header('idempotent-replayed', 'true');
    // A success replayed that moved stock (a hold's 201) says the change was made, maybe by a
    // process that died between its commit and its cache write-through: the product's next
    // read must show it.
    const productId = options.replayMovedStock && response.status < 300 ? (response.body as { product_id?: unknown } | null)?.product_id : undefined;
    if (typeof productId === 'number') await deps.productReader.refresh(productId);
  }
  return reply.code(response.status).send(response.body);
}

/**
 * The request's Idempotency-Key header. Sent more than once, Node joins the values into one
 * ("a, b"), which would be taken for a key the client never sent: that is a 400. Only a value
 * with ", " in it can be such a join, so only then are the raw headers counted.
 */
export function idempotencyKeyOf(request: FastifyRequest): string | undefined {
  const key = request.headers['idempotency-key'];
  if (typeof key !== 'string') return undefined;
  if (key.includes(', ') && request.raw.rawHeaders.filter((name, index) => index % 2 === 0 && name.toLowerCase() === 'idempotency-key').length > 1) {
    throw new ValidationFailedError('Invalid headers: idempotency-key.', {
      fields: [{ in: 'headers', field: 'idempotency-key', message: 'must be sent once' }],
    });
  }
  return key;
}
