import type { AppContext } from '../platform/context';

/**
 * The desk's event streams this process holds, counted per console session: each one polls the
 * database once a second for as long as it is open, so a session (a script with a stolen cookie,
 * a page opened in many tabs) may hold at most CONSOLE_STREAMS_PER_SESSION at once. The count is
 * this process's: behind several backends a session holds at most that many per process.
 */
export class DeskStreams {
  private readonly bySession = new Map<string, number>();

  constructor(private readonly perSession: number) {}

  /**
   * Takes a slot for this session and answers the function that gives it back (once, however often
   * it is called); undefined when the session holds every slot already.
   */
  open(sessionId: string): (() => void) | undefined {
    const held = this.bySession.get(sessionId) ?? 0;
    if (held >= this.perSession) return undefined;
    this.bySession.set(sessionId, held + 1);
    let open = true;
    return () => {
      if (!open) return;
      open = false;
      this.giveBack(sessionId);
    };
  }

  private giveBack(sessionId: string): void {
    const left = (this.bySession.get(sessionId) ?? 0) - 1;
    if (left > 0) this.bySession.set(sessionId, left);
    else this.bySession.delete(sessionId);
  }
}

/** What the console needs beyond the platform: this process's desk streams. */
export interface ConsoleContext extends AppContext {
  deskStreams: DeskStreams;
}
