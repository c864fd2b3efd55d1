/**
 * The one Prometheus registry (prom-client) of a stocksync process: every stage registers its
 * metrics here, and the metrics server exposes it.
 */
import client from 'prom-client';

export const metricsRegistry = new client.Registry();
