export { loadConfig, loadConfigOf, ConfigError, DEVELOPMENT_WEBHOOK_SECRET } from './load-config.ts';
export type { Config } from './load-config.ts';
export { convertIntegerStrings } from './strict-convert.ts';
