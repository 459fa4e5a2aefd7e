import type { Bench } from './support/report.js';

export const soak: Bench = async () => ({ figures: [], notes: [], skipped: 'not written yet' });
