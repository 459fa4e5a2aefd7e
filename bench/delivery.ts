import type { Bench } from './support/report.js';

export const delivery: Bench = async () => ({ figures: [], notes: [], skipped: 'not written yet' });
