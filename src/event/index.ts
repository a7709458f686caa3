export * from './types.js';
export * from './alert.js';
