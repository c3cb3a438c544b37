import { Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Prometheus metrics (what a communication is measured by: delivery, engagement, response time, conversion, error rate).
 * Capabilities register their counters and histograms on this registry.
 */
export const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry });
