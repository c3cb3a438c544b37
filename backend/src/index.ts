export { startServer, type RunningServer, type StartOptions } from './server';
export { loadConfig, type Config } from './platform/config/config';
export type { AppContext } from './platform/context';
export type { Clock } from './platform/clock';
