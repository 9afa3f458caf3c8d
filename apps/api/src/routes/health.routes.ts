import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Redis } from 'ioredis';
import { probeStore } from '@flash-sale/process';
import { pingDatabase, type Db } from '@flash-sale/db';
import { errorResponses } from '../schemas/common.ts';
import { documented, documentedCopy } from '../schemas/documented.ts';

const CHECK_TIMEOUT_MS = 1_500;
const Check = Type.Union([Type.Literal('ok'), Type.Literal('down')]);
const Readiness = documented(
  Type.Object({ status: Type.Union([Type.Literal('ok'), Type.Literal('unavailable')]), checks: Type.Object({ mysql: Check, redis: Check }) }),
  { status: 'ok', checks: { mysql: 'ok', redis: 'ok' } },
);

export const healthRoutes: FastifyPluginAsyncTypebox<{ db: Db; redis: Redis; isClosing: () => boolean }> = async (app, { db, redis, isClosing }) => {
  app.get('/health/live', {
    schema: { tags: ['health'], summary: 'Whether the process is up (it checks no store)', response: { 200: documented(Type.Object({ status: Type.Literal('ok') }), { status: 'ok' }), ...errorResponses(['bad_request', 'internal_error']) } },
    handler: async () => ({ status: 'ok' as const }),
  });

  app.get('/health/ready', {
    schema: {
      tags: ['health'],
      summary: 'Whether this instance can serve: MySQL and Redis answer, and it is not shutting down',
      response: { 200: Readiness, 503: documentedCopy(Readiness, { status: 'unavailable', checks: { mysql: 'down', redis: 'ok' } }), ...errorResponses(['bad_request', 'internal_error']) },
    },
    handler: async (request, reply) => {
      const [mysql, redisCheck] = await Promise.all([probeStore(() => pingDatabase(db), CHECK_TIMEOUT_MS), probeStore(() => redis.ping(), CHECK_TIMEOUT_MS)]);
      const ready = mysql === 'ok' && redisCheck === 'ok' && !isClosing();
      if (!ready) request.log.warn({ mysql, redis: redisCheck, closing: isClosing() }, 'not ready');
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ok' : 'unavailable', checks: { mysql, redis: redisCheck } });
    },
  });
};
