import fs from 'node:fs';

/** Drills too long for CI run only with METABOT_DRILLS_LONG=1; their last results are in docs/reliability.md. */
export const longDrills = process.env.METABOT_DRILLS_LONG === '1';

export function drillCase<T extends { long?: boolean }>(options: T): T & { run: boolean } {
  return { ...options, run: !options.long || longDrills };
}

/** How many messages each chat got. */
export function countPerChat(messages: ReadonlyArray<{ chatId: number }>): Map<number, number> {
  const perChat = new Map<number, number>();
  for (const m of messages) perChat.set(m.chatId, (perChat.get(m.chatId) ?? 0) + 1);
  return perChat;
}

/** A drill's figures: one JSON line on stdout, and appended to METABOT_DRILLS_RESULTS when set (for docs/reliability.md). */
export function recordFigures(drill: string, figures: Record<string, unknown>): void {
  const line = JSON.stringify({ drill, at: new Date().toISOString(), ...figures });
  if (process.env.METABOT_DRILLS_RESULTS) fs.appendFileSync(process.env.METABOT_DRILLS_RESULTS, `${line}\n`);
  else process.stdout.write(`${line}\n`);
}

/** A counter's value in Prometheus text from /metrics (0 when absent). */
export const metric = (text: string, name: string) => Number(new RegExp(`^${name}\\{[^}]*\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
