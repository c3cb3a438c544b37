export { startServer, type RunningServer, type StartOptions } from './server';
export { loadConfig, type Config } from './platform/config/config';
export type { AppContext, Clock } from './platform/context';
