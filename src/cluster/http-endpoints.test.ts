import { afterEach, describe, expect, it } from 'vitest';
import { KcrError } from '../errors.js';
import { serveEndpoints, type Endpoints } from './http-endpoints.js';
import { Metrics } from './metrics.js';

let endpoints: Endpoints | undefined;
afterEach(async () => {
  await endpoints?.close();
  endpoints = undefined;
});

describe('the agent and controller endpoints', () => {
  it('serve /metrics in the Prometheus text format, /healthz, and /readyz as the component says', async () => {
    const metrics = new Metrics();
    let notReady: string | undefined = 'informers have not synced';
    endpoints = await serveEndpoints(metrics, () => notReady, { port: 0, hostname: '127.0.0.1' });
    const base = `http://127.0.0.1:${endpoints.port}`;
    metrics.countError(new KcrError('timeout', 'x'));
    metrics.countError(new Error('bug'));
    metrics.uploadBytes.inc(4096);
    metrics.scheduleLag.observe(0.25);
    const res = await fetch(`${base}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    for (const name of [
      'kcr_checkpoint_duration_seconds',
      'kcr_checkpoint_bytes',
      'kcr_restore_duration_seconds',
      'kcr_upload_bytes_total',
      'kcr_errors_total',
      'kcr_schedule_lag_seconds',
    ]) {
      expect(text).toContain(`# TYPE ${name} `);
    }
    expect(text).toMatch(/^kcr_errors_total\{reason="timeout"\} 1$/m);
    expect(text).toMatch(/^kcr_errors_total\{reason="internal"\} 1$/m);
    expect(text).toMatch(/^kcr_upload_bytes_total 4096$/m);
    expect(text).toMatch(/^kcr_process_resident_memory_bytes \d+/m);
    expect(await (await fetch(`${base}/healthz`)).text()).toBe('ok\n');
    const notYet = await fetch(`${base}/readyz`);
    expect([notYet.status, await notYet.text()]).toEqual([503, 'not ready: informers have not synced\n']);
    notReady = undefined;
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
  });
});
