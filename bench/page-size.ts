import type { Bench } from './support/report.js';

export const pageSize: Bench = async () => ({ figures: [], notes: [], skipped: 'not written yet' });
