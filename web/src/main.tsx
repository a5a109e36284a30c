import { lazy, StrictMode, Suspense, useEffect, useRef } from 'react';
import { createRoot } from 'react-dom/client';
import { BookingPage } from './client/booking-page';
import { Portal } from './client/portal';
import { Link, useLocation, useTitle } from './router';
import { Loading } from './ui';
import './styles.css';

const PractitionerRoutes = lazy(() => import('./practitioner/routes'));
const PRACTITIONER_PATHS = new Set(['login', 'signup', 'reset-password', 'setup', 'app']);

function NotFound() {
  useTitle('Not found');
  return (
    <main id="main" className="page narrow">
      <h1 tabIndex={-1}>This page doesn’t exist</h1>
      <p>
        Check the link, or go to the <Link to="/">start page</Link>.
      </p>
    </main>
  );
}

/** The SPA's routes; the server's list (src/http/routes/web.ts) must cover every one of them. */
function Routes({ path }: { path: string }) {
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const [first, second] = parts;
  if (!first || PRACTITIONER_PATHS.has(first)) {
    return (
      <Suspense fallback={<Loading />}>
        <PractitionerRoutes parts={parts} notFound={<NotFound />} />
      </Suspense>
    );
  }
  if (!second) return <BookingPage slug={first} />;
  if (second === 'me') return <Portal slug={first} />;
  return <BookingPage slug={first} />;
}

function App() {
  const { path } = useLocation();
  const first = useRef(true);
  // After a client-side navigation, put focus on the new page's heading (as a page load would reset it).
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    // The new screen may still be loading: look for its heading for up to a second.
    let tries = 0;
    const timer = window.setInterval(() => {
      const heading = document.querySelector<HTMLElement>('main h1');
      if (heading || ++tries > 20) window.clearInterval(timer);
      if (heading && !heading.contains(document.activeElement) && document.activeElement === document.body) heading.focus();
    }, 50);
    return () => window.clearInterval(timer);
  }, [path]);
  return <Routes path={path} />;
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
