/** The background loop that times out waits and resumes n8n executions (workers.ts). */
export const WAITS_LOOP = 'waits';
