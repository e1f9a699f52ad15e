/** The dashboard's entry: the header, and the page the hash names. */
import { render } from 'preact';
import { useRoute } from './router.js';
import { CheckpointsPage } from './pages/checkpoints.js';
import { DetailPage } from './pages/detail.js';
import { DiffPage } from './pages/diff.js';
import { MemoryPage } from './pages/memory.js';
import { RestorePage } from './pages/restore.js';
import { SecretsPage } from './pages/secrets.js';
import './style.css';

function Page() {
  const route = useRoute();
  const id = route.id ?? '';
  switch (route.page) {
    case 'detail':
      return <DetailPage key={id} id={id} />;
    case 'memory':
      return <MemoryPage key={id} id={id} params={route.params} />;
    case 'secrets':
      return <SecretsPage key={id} id={id} />;
    case 'restore':
      return <RestorePage key={id} id={id} />;
    case 'diff':
      return <DiffPage a={route.params.get('a') ?? undefined} b={route.params.get('b') ?? undefined} />;
    default:
      return <CheckpointsPage />;
  }
}

function App() {
  return (
    <>
      <header class="top">
        <a class="brand" href="#/">
          kcr
        </a>
        <span class="muted">Kubernetes Checkpoint &amp; Restore</span>
      </header>
      <Page />
    </>
  );
}

render(<App />, document.getElementById('app')!);
