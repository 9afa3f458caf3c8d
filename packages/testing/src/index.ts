export { TEST_REDIS_PREFIX_ROOT, testRedisUrl, uniqueRedisPrefix, deleteRedisPrefix } from './redis.ts';
export { killSpawnedServices, spawnService, type ServiceProcess } from './spawn-service.ts';
export { holdRowLock, type HeldRowLock } from './row-lock.ts';
export { CuttableProxy } from './cuttable-proxy.ts';
export { rejectionOf } from './rejection.ts';
export { sendRawHttp, type RawHttpResponse } from './raw-http.ts';
export { freePort } from './free-port.ts';
export { runScript, type ScriptRun } from './run-script.ts';
export { runnerArgs } from './runner-args.ts';
