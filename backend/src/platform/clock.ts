export interface Clock {
  /** Epoch milliseconds. Tests inject their own clock to move time (retry schedules, pauses). */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
