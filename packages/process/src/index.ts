export { installShutdown } from './shutdown.ts';
export { loadConfigOrExit } from './load-config-or-exit.ts';
export { installCrashGuards } from './crash-guards.ts';
