export * from './secret-scan.js';
