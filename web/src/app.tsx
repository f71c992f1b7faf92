import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { Api, ApiContext } from './api.js';
import type { JobStatus } from './api-types.js';
import { STATUSES } from './components/status-badge.js';
import { DatasetPage } from './pages/dataset-page.js';
import { DatasetsPage } from './pages/datasets-page.js';
import { JobPage } from './pages/job-page.js';
import { JobsPage } from './pages/jobs-page.js';
import { ModelPage } from './pages/model-page.js';
import { ModelsPage } from './pages/models-page.js';
import { SignIn } from './pages/sign-in.js';
import { SweepPage } from './pages/sweep-page.js';
import { SweepsPage } from './pages/sweeps-page.js';
import { WorkersPage } from './pages/workers-page.js';
import type { ApiProblem } from './problem.js';
import { href, Link, useRoute, type Route } from './router.js';
import { forgetKey, storedKey, storeKey } from './session.js';

const SECTIONS = [
  { view: 'jobs', name: 'Jobs' },
  { view: 'sweeps', name: 'Sweeps' },
  { view: 'models', name: 'Models' },
  { view: 'datasets', name: 'Datasets' },
  { view: 'workers', name: 'Workers' },
];

function View({ route }: { route: Route }) {
  const { view, id } = route;
  if (view === 'jobs' && id) return <JobPage id={id} />;
  if (view === 'jobs') {
    const status = route.query.get('status');
    return <JobsPage status={STATUSES.includes(status as JobStatus) ? (status as JobStatus) : undefined} />;
  }
  if (view === 'sweeps') return id ? <SweepPage id={id} /> : <SweepsPage />;
  if (view === 'models') return id ? <ModelPage id={id} /> : <ModelsPage />;
  if (view === 'datasets') return id ? <DatasetPage id={id} /> : <DatasetsPage />;
  if (view === 'workers') return <WorkersPage />;
  return (
    <section>
      <h1>Not found</h1>
      <p>
        There is no page here. <Link href={href('jobs')}>Go to the jobs</Link>.
      </p>
    </section>
  );
}

/** The signed-in page: the sections' navigation, and the view the address names. */
function Shell({ onSignOut }: { onSignOut: () => void }) {
  const route = useRoute();
  const first = useRef(true);
  useEffect(() => {
    const section = SECTIONS.find((s) => s.view === route.view);
    document.title = `${route.id ?? section?.name ?? 'Not found'} · finetuned`;
    // On another view, the keyboard's focus starts at its content, as after a page load (not on a filter's change).
    if (!first.current) document.getElementById('main')?.focus({ preventScroll: true });
    first.current = false;
  }, [route.view, route.id]);
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <Link href={href('jobs')} class="brand">
          finetuned
        </Link>
        <nav aria-label="Sections">
          {SECTIONS.map(({ view, name }) => (
            <Link key={view} href={href(view)} aria-current={route.view === view ? 'page' : undefined}>
              {name}
            </Link>
          ))}
        </nav>
        <button type="button" class="secondary" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        <View route={route} />
      </main>
    </>
  );
}

/** Signed in while this tab holds a key; a 401 from any call signs out with the problem's detail. */
export function App() {
  const [key, setKey] = useState(storedKey);
  const [notice, setNotice] = useState<ApiProblem | undefined>(undefined);
  const signOut = useCallback((problem?: ApiProblem) => {
    forgetKey();
    setNotice(problem);
    setKey(null);
  }, []);
  const api = useMemo(() => (key ? new Api(key, signOut) : null), [key, signOut]);
  if (!api) {
    const signIn = (given: string) => {
      storeKey(given);
      setNotice(undefined);
      setKey(given);
    };
    return <SignIn onSignedIn={signIn} notice={notice} />;
  }
  return (
    <ApiContext.Provider value={api}>
      <Shell onSignOut={() => signOut()} />
    </ApiContext.Provider>
  );
}
