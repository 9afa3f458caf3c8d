import type { FastifyReply, FastifyRequest } from 'fastify';
import { runIdempotent, type CheckoutDeps, type KeyCompletion } from '@flash-sale/checkout';

interface Response {
  status: number;
  body: unknown;
}

/**
 * Adapts a state-changing route to contract section 4: with an Idempotency-Key the operation runs
 * at most once per key and endpoint, and a repeat gets the stored response again, marked
 * `Idempotent-Replayed: true`. Without a key it simply runs.
 */
export async function replyIdempotently<R>(
  deps: Pick<CheckoutDeps, 'db' | 'clock' | 'logger' | 'abandonedClaims' | 'keyClaimer'>,
  request: FastifyRequest,
  reply: FastifyReply,
  execute: (completion?: KeyCompletion<R>) => Promise<R>,
  present: (result: R) => Response,
): Promise<FastifyReply> {
  const key = request.headers['idempotency-key'];
  if (typeof key !== 'string') {
    const response = present(await execute());
    return reply.code(response.status).send(response.body);
  }
  const scope = `${request.method} ${request.routeOptions.url}`;
  const response = await runIdempotent(deps, { scope, key, body: request.body }, execute, present);
  if (response.replayed) {
    request.log.info({ scope, status: response.status }, 'idempotent request replayed');
    reply.header('idempotent-replayed', 'true');
  }
  return reply.code(response.status).send(response.body);
}
