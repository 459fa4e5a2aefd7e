export type * from './task.js';
export type * from './api.js';
export type * from './events.js';
export * from './ids.js';
