/** Secrets an attacker holding the archive would find, masked as `kcr secrets` masks them. */
import { useState } from 'preact/hooks';
import type { SecretsBody } from '../../../src/server/api-types.js';
import { enc } from '../api.js';
import { Show, Table, useApi } from '../components/common.js';
import { bytes } from '../format.js';
import { CheckpointNav } from './nav.js';

export function SecretsPage({ id }: { id: string }) {
  const [memory, setMemory] = useState(false);
  const loaded = useApi<SecretsBody>(`/checkpoints/${enc(id)}/secrets${memory ? '?memory=1' : ''}`);
  return (
    <main>
      <CheckpointNav id={id} current="secrets" />
      <h1>Secrets</h1>
      <div class="toolbar">
        <label>
          <input type="checkbox" checked={memory} onChange={() => setMemory(!memory)} /> also scan all dumped
          memory
        </label>
      </div>
      <Show loaded={loaded} what="the secrets scan">
        {(scan) => (
          <>
            <p class="muted" role="status">
              {scan.findings.length} findings in {scan.scanned.envVars} environment variables,{' '}
              {scan.scanned.files} files ({bytes(scan.scanned.fileBytes)})
              {scan.scanned.memoryBytes !== undefined
                ? ` and ${bytes(scan.scanned.memoryBytes)} of memory`
                : ''}
            </p>
            {scan.findings.length > 0 && (
              <Table label="secrets found">
                <thead>
                  <tr>
                    <th scope="col">what</th>
                    <th scope="col">where</th>
                    <th scope="col">source</th>
                    <th scope="col">value</th>
                    <th scope="col">fingerprint</th>
                  </tr>
                </thead>
                <tbody>
                  {scan.findings.map((f, i) => (
                    <tr key={i}>
                      <td>{f.title}</td>
                      <td class="mono">{f.location}</td>
                      <td>{f.source}</td>
                      <td class={f.masked ? 'masked mono' : 'mono'}>{f.value}</td>
                      <td class="mono">{f.fingerprint}</td>
                    </tr>
                  ))}
                </tbody>
              </Table>
            )}
          </>
        )}
      </Show>
    </main>
  );
}
