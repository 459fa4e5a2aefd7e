import type { Bench } from './support/report.js';

export const postgres: Bench = async () => ({ figures: [], notes: [], skipped: 'not written yet' });
