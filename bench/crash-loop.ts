import type { Bench } from './support/report.js';

export const crashLoop: Bench = async () => ({ figures: [], notes: [], skipped: 'not written yet' });
