export { startServer, type RunningServer, type StartOptions } from './server';
export { loadConfig, type Config } from './config/config';
export type { AppContext, Clock } from './context';
