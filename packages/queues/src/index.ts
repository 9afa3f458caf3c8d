export { finishedJobRetention, queueCatalog, queueNames, legacySweeperSchedulerId, type QueueName, type JobPayload } from './catalog.ts';
export { createJobQueues, bullPrefix, type JobQueues } from './job-queues.ts';
export { createFailFastRedis, createWorkerRedis, logConnectionHealth, redisReady } from './redis-connection.ts';
export { withDeadline } from './with-deadline.ts';
export { isRedisUnavailableError, redisUnavailable } from './redis-errors.ts';
