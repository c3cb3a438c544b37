/** Types for the drills (TypeScript) that start bench servers as child processes. */
export interface ChildServer {
  url: string;
  botId: number;
  /** Only on the first start of a database (the seeding run). */
  token?: string;
  dataDir: string;
  pid: number;
  stop(): Promise<unknown>;
  kill(): Promise<unknown>;
}

export function startChildServer(name: string, env?: Record<string, string>, options?: { nodeArgs?: string[] }): Promise<ChildServer>;

/** The Node flags a bench backend runs with: BENCH_NODE_ARGS, else those of `metabot-backend serve`. */
export function backendNodeArgs(): string[];
