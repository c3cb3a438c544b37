import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod/v4';

/** What earlier runs already did, so a second run repeats nothing (data/first-run.json, mode 0600). */
const stateSchema = z.object({
  botId: z.number().int().positive().optional(),
  /** Fingerprints of what was applied last: re-applied only when they change. */
  mapHash: z.string().optional(),
  telegramTokenHash: z.string().optional(),
  credentialHash: z.string().optional(),
  workflowsHash: z.string().optional(),
  /** The build of the package last packed and installed into n8n's community nodes folder. */
  packageHash: z.string().optional(),
  n8nOwner: z.object({ email: z.string(), password: z.string() }).optional(),
  /** The demo's console account (an admin), created once. */
  consoleLogin: z.object({ email: z.string(), password: z.string() }).optional(),
});
export type State = z.infer<typeof stateSchema>;

export const fingerprint = (value: unknown): string =>
  crypto.createHash('sha256').update(typeof value === 'string' ? value : JSON.stringify(value)).digest('hex').slice(0, 32);

export class StateFile {
  private constructor(
    private readonly file: string,
    readonly state: State,
  ) {}

  static open(dataDir: string): StateFile {
    const file = path.join(dataDir, 'first-run.json');
    const state = fs.existsSync(file) ? stateSchema.parse(JSON.parse(fs.readFileSync(file, 'utf8'))) : {};
    return new StateFile(file, state);
  }

  update(change: Partial<State>): void {
    Object.assign(this.state, change);
    fs.writeFileSync(this.file, `${JSON.stringify(this.state, null, 2)}\n`, { mode: 0o600 });
  }
}
