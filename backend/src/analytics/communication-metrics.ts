import { Counter } from 'prom-client';
import { metricsRegistry } from '../platform/metrics/metrics';
import type { RollupDeltas } from './counters';

/** Communications that get a label of their own per process; the rest share `other`, so a scrape stays bounded. */
export const LABELLED_COMMUNICATIONS = 20;
const MEASURES = ['sent', 'failed', 'answered', 'conversions', 'calls', 'webhooks_exhausted', 'ratings'];

const communicationTotal = new Counter({
  name: 'metabot_communication_total',
  help: `Facts per communication (alias; the first ${LABELLED_COMMUNICATIONS} seen by this process, then "other"; "none" for traces no call started), by measure`,
  labelNames: ['alias', 'measure'] as const,
  registers: [metricsRegistry],
});

/**
 * The alias labels of this process: the first LABELLED_COMMUNICATIONS aliases counted keep their
 * name. Most bots have fewer communications than that; a bot with hundreds still yields at most
 * (LABELLED_COMMUNICATIONS + 2) × measures series. The exact per-alias figures are in the API.
 */
export class CommunicationLabels {
  private readonly named = new Set<string>();

  constructor(private readonly limit = LABELLED_COMMUNICATIONS) {}

  label(alias: string): string {
    if (alias === '') return 'none';
    if (this.named.has(alias)) return alias;
    if (this.named.size >= this.limit) return 'other';
    this.named.add(alias);
    return alias;
  }

  /**
   * A call of a known alias answered with a business failure. Counted here only: a refused
   * request changes no table (the rule the API fuzzer checks), so the rollups never see it.
   */
  countRefusedCall(alias: string): void {
    communicationTotal.inc({ alias: this.label(alias), measure: 'calls_refused' });
  }

  count(deltas: RollupDeltas): void {
    for (const { key, counts } of deltas.entries()) {
      for (const measure of MEASURES) {
        const amount = counts[measure];
        if (amount && amount > 0) communicationTotal.inc({ alias: this.label(key.alias), measure }, amount);
      }
    }
  }
}
