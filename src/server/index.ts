/**
 * The dashboard's server (`kcr ui`): a JSON API under /api/v1 over the same library functions the
 * CLI calls (forensics views, memory, diff, secrets, ops restore with its OpEvents as server-sent
 * events), plus the built web client. The API's types are in api-types.ts, shared with web/.
 */
export { startDashboard, defaultWebDir, type Dashboard, type DashboardOptions } from './dashboard.js';
export { createApp, type AppOptions } from './app.js';
export type * from './api-types.js';
