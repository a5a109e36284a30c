import { useId, useMemo, useState, type ReactNode } from 'react';
import { api, getAll, type Booking, type Client, type ClientSummary, type Service } from '../api';
import { addDays, dateKey, dayLabel, formatDate, formatTime, plural, todayIn, zonedToInstant } from '../format';
import { Link, navigate, useLocation, useTitle } from '../router';
import { Empty, ErrorBox, Loading, SkipLink, useLoad } from '../ui';
import { useAccount } from './account';

export const LOW_BALANCE_MAX = 1;
export const EXPIRING_SOON_DAYS = 14;

/** The practitioner's frame: the practice, the sections, log out. */
export function AppShell({ children }: { children: ReactNode }) {
  const { account } = useAccount();
  const { path } = useLocation();
  const logOut = async () => {
    await api.post('/auth/logout').catch(() => undefined);
    navigate('/login');
  };
  const links = [
    { to: '/app', label: 'Today', active: path === '/app' },
    { to: '/app/clients', label: 'Clients', active: path.startsWith('/app/clients') },
    { to: '/app/team', label: 'Team', active: path.startsWith('/app/team') },
    // Settings are the owners' (the server refuses the others anyway).
    ...(account.member.role === 'owner' ? [{ to: '/app/settings', label: 'Settings', active: path.startsWith('/app/settings') }] : []),
  ];
  return (
    <div className="app-shell">
      <SkipLink />
      <header className="app-header">
        <div className="app-brand">
          <span className="brand">Tallybook</span>
          {account.practices.length > 1 ? <PracticeSwitcher /> : <span className="brand-sub">{account.practice.name}</span>}
        </div>
        <nav aria-label="Dashboard" className="app-nav">
          <ul>
            {links.map((l) => (
              <li key={l.to}>
                <Link to={l.to} aria-current={l.active ? 'page' : undefined}>
                  {l.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <button type="button" className="link-button logout" onClick={() => void logOut()}>
          Log out
        </button>
      </header>
      <main id="main" className="page wide">
        {children}
      </main>
    </div>
  );
}

/** For an account in several practices: which one the dashboard shows. Switching reloads the dashboard there. */
function PracticeSwitcher() {
  const { account } = useAccount();
  const [busy, setBusy] = useState(false);
  const [failed, setFailed] = useState(false);
  const id = useId();
  const switchTo = async (practiceId: string) => {
    setBusy(true);
    setFailed(false);
    try {
      await api.post('/auth/switch', { practiceId });
      window.location.assign('/app');
    } catch {
      setBusy(false);
      setFailed(true);
    }
  };
  return (
    <div className="practice-switch">
      <label htmlFor={id} className="visually-hidden">
        Practice
      </label>
      <select id={id} value={account.practice.id} disabled={busy} onChange={(e) => void switchTo(e.target.value)}>
        {account.practices.map((p) => (
          <option key={p.id} value={p.id}>
            {p.name}
          </option>
        ))}
      </select>
      {failed && <span role="alert">Could not switch. Try again.</span>}
    </div>
  );
}

/** Credits expiring within EXPIRING_SOON_DAYS, per client: the soonest lot's available credits and its date. */
export interface Expiring {
  available: number;
  expiresAt: string;
}

/** The server tells, per client, the credits expiring within EXPIRING_SOON_DAYS and the first expiry. */
export function useExpiring(clients: ClientSummary[] | undefined): Map<string, Expiring> | null {
  return useMemo(() => {
    if (!clients) return null;
    const found = new Map<string, Expiring>();
    for (const c of clients) if (c.expiringSoon) found.set(c.id, { available: c.expiringSoon.credits, expiresAt: c.expiringSoon.expiresAt });
    return found;
  }, [clients]);
}

export function isLow(client: Client): boolean {
  return client.credits.available <= LOW_BALANCE_MAX && client.credits.available + client.credits.held + client.credits.used + client.credits.expired > 0;
}

export function statusText(status: Booking['status']): string {
  return (
    {
      confirmed: 'Booked',
      cancelled: 'Cancelled',
      late_cancelled: 'Late cancel',
      completed: 'Attended',
      no_show: 'No-show',
      pending_payment: 'Awaiting payment',
    } as Record<string, string>
  )[status] ?? status;
}

export function Home() {
  const { account } = useAccount();
  const tz = account.practice.timeZone;
  useTitle('Today');
  const today = todayIn(tz);
  const data = useLoad(async () => {
    const from = zonedToInstant(today, '00:00', tz).toISOString();
    const to = zonedToInstant(addDays(today, 8), '00:00', tz).toISOString();
    const [bookings, clients, services] = await Promise.all([
      getAll<Booking>(`/bookings?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`, 4),
      getAll<ClientSummary>('/clients', 10),
      getAll<Service>('/services', 2),
    ]);
    return { bookings, clients, services };
  }, [today, tz]);
  const expiring = useExpiring(data.data?.clients);
  const clientsById = useMemo(() => new Map((data.data?.clients ?? []).map((c) => [c.id, c])), [data.data]);

  if (data.loading && !data.data) return <Loading label="Loading today’s sessions…" />;
  if (data.error || !data.data) {
    return (
      <>
        <h1 tabIndex={-1}>Today</h1>
        <ErrorBox error={data.error} />
        <button type="button" className="button" onClick={data.reload}>
          Try again
        </button>
      </>
    );
  }
  const { bookings, clients, services } = data.data;
  const shown = bookings.filter((b) => b.status !== 'cancelled').sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
  const todays = shown.filter((b) => dateKey(b.start, tz) === today);
  const later = shown.filter((b) => dateKey(b.start, tz) > today && b.status === 'confirmed');
  const days = [...new Set(later.map((b) => dateKey(b.start, tz)))];
  const low = clients.filter(isLow);
  const expiringClients = clients.filter((c) => expiring?.has(c.id) && !isLow(c));

  const row = (b: Booking) => {
    const client = clientsById.get(b.clientId);
    return (
      <li key={b.id} className={`session-row status-${b.status}`}>
        <span className="session-time">
          {formatTime(b.start, tz)}–{formatTime(b.end, tz)}
        </span>
        <span className="session-client">
          <Link to={`/app/clients/${b.clientId}`}>{client?.name || client?.email || 'Client'}</Link>
          <span className="session-service"> · {b.serviceName}</span>
        </span>
        <span className="session-credits">
          {b.status !== 'confirmed' ? <span className="chip">{statusText(b.status)}</span> : client ? <span className={isLow(client) ? 'chip chip-warn' : 'chip'}>{plural(client.credits.available, 'credit')} left</span> : null}
        </span>
      </li>
    );
  };

  return (
    <>
      <h1 tabIndex={-1}>Today</h1>
      <p className="hint">
        {dayLabel(today)} · times in {tz.replace(/_/g, ' ')}
      </p>
      {services.length === 0 && (
        <div className="notice notice-warning">
          You have no services yet, so clients can’t book. <Link to="/setup">Finish setting up</Link>
        </div>
      )}
      <div className="dash-grid">
        <section aria-labelledby="today-heading" className="card-section">
          <h2 id="today-heading">Today’s sessions</h2>
          {todays.length === 0 ? <Empty>No sessions today.</Empty> : <ul className="session-list">{todays.map(row)}</ul>}
          <h2 id="week-heading">Next 7 days</h2>
          {days.length === 0 ? (
            <Empty>Nothing booked in the next 7 days yet. Share your booking link to fill your week.</Empty>
          ) : (
            days.map((day) => (
              <div key={day} className="day-group">
                <h3>{dayLabel(day)}</h3>
                <ul className="session-list">{later.filter((b) => dateKey(b.start, tz) === day).map(row)}</ul>
              </div>
            ))
          )}
        </section>
        <section aria-labelledby="low-heading" className="card-section">
          <h2 id="low-heading">Running low</h2>
          <p className="hint">
            {LOW_BALANCE_MAX} credit or fewer left, or credits expiring within {EXPIRING_SOON_DAYS} days.
          </p>
          {low.length === 0 && expiringClients.length === 0 ? (
            <Empty>{expiring ? 'Nobody is running low.' : 'Nobody is running low so far.'}</Empty>
          ) : (
            <ul className="low-list">
              {low.map((c) => (
                <li key={c.id}>
                  <Link to={`/app/clients/${c.id}`}>{c.name || c.email}</Link> <span className="chip chip-warn">{plural(c.credits.available, 'credit')} left</span>
                  {c.credits.held > 0 && <span className="hint"> · {c.credits.held} scheduled</span>}
                  {expiring?.get(c.id) && (
                    <>
                      {' '}
                      <ExpiringChip expiring={expiring.get(c.id)!} tz={tz} />
                    </>
                  )}
                </li>
              ))}
              {expiringClients.map((c) => (
                <li key={c.id}>
                  <Link to={`/app/clients/${c.id}`}>{c.name || c.email}</Link> <ExpiringChip expiring={expiring!.get(c.id)!} tz={tz} />
                </li>
              ))}
            </ul>
          )}
          {!expiring && clients.some((c) => c.credits.available > 0) && <p className="hint">Checking expiry dates…</p>}
        </section>
      </div>
    </>
  );
}

export function ExpiringChip({ expiring, tz }: { expiring: Expiring; tz: string }) {
  return (
    <span className="chip chip-expiring">
      {expiring.available} {expiring.available === 1 ? 'expires' : 'expire'} {formatDate(new Date(Date.parse(expiring.expiresAt) - 1), tz)}
    </span>
  );
}
