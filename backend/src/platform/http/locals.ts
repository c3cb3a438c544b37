declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Locals {
      /** Set for every request: the caller's X-Trace-Id or a new one. */
      traceId: string;
    }
  }
}

export {};
