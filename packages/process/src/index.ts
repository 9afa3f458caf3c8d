export { installShutdown } from './shutdown.ts';
export { loadConfigOrExit } from './load-config-or-exit.ts';
export { installCrashGuards, listenFailure, StartupError } from './crash-guards.ts';
export { openStores, type Stores, type StoresStatus } from './stores.ts';
export { probeStore, type StoreStatus } from './store-status.ts';
export { createProcessMetrics, type ProcessMetrics } from './process-metrics.ts';
