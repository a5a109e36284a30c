import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { api, ApiError, errorMessage, getAll, newIdempotencyKey, type Booking, type Cancellation, type Client, type ClientDetail, type ClientSummary, type Fee, type LedgerEntry, type Lot, type Package, type Purchase, type Refund, type RefundQuote, type Service } from '../api';
import { SlotPicker, usePickedSlot } from '../calendar';
import { credits, formatDate, formatDayShort, formatMoney, formatRange, formatTime, packageLine, plural } from '../format';
import { Link, navigate, useTitle } from '../router';
import { Dialog, Empty, ErrorBox, Field, fieldError, Loading, Notice, SelectField, TextAreaField, useAction, useLoad } from '../ui';
import { useAccount } from './account';
import { ExpiringChip, isLow, statusText, useExpiring, type Expiring } from './dashboard';

type SortKey = 'name' | 'email' | 'available' | 'held' | 'used' | 'next' | 'last' | 'expiring';

interface Row {
  client: Client;
  next: string | null;
  last: string | null;
  expiring: Expiring | undefined;
}

export function ClientsList() {
  const { account } = useAccount();
  const tz = account.practice.timeZone;
  useTitle('Clients');
  const data = useLoad(() => getAll<ClientSummary>('/clients', 10), []);
  const expiring = useExpiring(data.data);
  const [query, setQuery] = useState('');
  const [sort, setSort] = useState<{ key: SortKey; dir: 1 | -1 }>({ key: 'available', dir: 1 });
  const [adding, setAdding] = useState(false);

  // Next and last sessions, like balances, come from the server.
  const rows = useMemo<Row[]>(
    () => (data.data ?? []).map((client) => ({ client, next: client.nextSession, last: client.lastSession, expiring: expiring?.get(client.id) })),
    [data.data, expiring],
  );

  const shown = useMemo(() => {
    const q = query.trim().toLowerCase();
    const filtered = q ? rows.filter((r) => r.client.name.toLowerCase().includes(q) || r.client.email.toLowerCase().includes(q)) : rows;
    const value = (r: Row): string | number => {
      switch (sort.key) {
        case 'name':
          return (r.client.name || r.client.email).toLowerCase();
        case 'email':
          return r.client.email.toLowerCase();
        case 'available':
          return r.client.credits.available;
        case 'held':
          return r.client.credits.held;
        case 'used':
          return r.client.credits.used;
        case 'next':
          return r.next ? Date.parse(r.next) : Number.MAX_SAFE_INTEGER;
        case 'last':
          return r.last ? Date.parse(r.last) : 0;
        case 'expiring':
          return r.expiring ? Date.parse(r.expiring.expiresAt) : Number.MAX_SAFE_INTEGER;
      }
    };
    return [...filtered].sort((a, b) => {
      const x = value(a);
      const y = value(b);
      const base = x < y ? -1 : x > y ? 1 : (a.client.name || a.client.email).localeCompare(b.client.name || b.client.email);
      return base * sort.dir;
    });
  }, [rows, query, sort]);

  // The numbers come first after the name, so a phone shows them without scrolling sideways.
  const columns: { key: SortKey; label: string; numeric?: boolean }[] = [
    { key: 'name', label: 'Name' },
    { key: 'available', label: 'Available', numeric: true },
    { key: 'held', label: 'Scheduled', numeric: true },
    { key: 'used', label: 'Used', numeric: true },
    { key: 'expiring', label: 'Expiring soon' },
    { key: 'next', label: 'Next session' },
    { key: 'last', label: 'Last session' },
    { key: 'email', label: 'Email' },
  ];

  return (
    <>
      <div className="section-head">
        <h1 tabIndex={-1}>Clients</h1>
        <button type="button" className="button button-primary" onClick={() => setAdding(true)}>
          Add client
        </button>
      </div>
      <div className="toolbar">
        <Field label="Search clients" type="search" placeholder="Name or email" value={query} onChange={(e) => setQuery(e.target.value)} />
      </div>
      {data.loading && !data.data ? (
        <Loading label="Loading clients…" />
      ) : data.error ? (
        <ErrorBox error={data.error} />
      ) : rows.length === 0 ? (
        <Empty>No clients yet. They appear here when they sign in on your booking page, or when you add one.</Empty>
      ) : (
        <>
          <p className="hint" role="status">
            {shown.length === rows.length ? plural(rows.length, 'client') : `${shown.length} of ${plural(rows.length, 'client')}`}. Highlighted: 1 credit or fewer left, or credits expiring within 14 days.
          </p>
          <div className="table-wrap" role="region" aria-label="Clients table" tabIndex={0}>
            <table className="table clients-table">
              <thead>
                <tr>
                  {columns.map((c) => (
                    <th key={c.key} scope="col" aria-sort={sort.key === c.key ? (sort.dir === 1 ? 'ascending' : 'descending') : undefined} className={c.numeric ? 'num' : undefined}>
                      <button type="button" className="sort-button" onClick={() => setSort((s) => ({ key: c.key, dir: s.key === c.key ? ((-s.dir) as 1 | -1) : 1 }))}>
                        {c.label}
                        <span aria-hidden="true" className="sort-mark">
                          {sort.key === c.key ? (sort.dir === 1 ? '▲' : '▼') : '↕'}
                        </span>
                      </button>
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {shown.map(({ client, next, last, expiring: exp }) => {
                  const low = isLow(client);
                  return (
                    <tr key={client.id} className={low ? 'row-low' : exp ? 'row-expiring' : undefined} data-client-email={client.email}>
                      <th scope="row">
                        <Link to={`/app/clients/${client.id}`}>{client.name || client.email}</Link>
                      </th>
                      <td className="num" data-testid="available">
                        {low && <span className="chip chip-warn">Low</span>} <strong>{client.credits.available}</strong>
                      </td>
                      <td className="num" data-testid="held">
                        {client.credits.held}
                      </td>
                      <td className="num" data-testid="used">
                        {client.credits.used}
                      </td>
                      <td>{exp ? <ExpiringChip expiring={exp} tz={tz} /> : expiring ? '—' : '…'}</td>
                      <td>{next ? `${formatDayShort(next, tz)}, ${formatTime(next, tz)}` : '—'}</td>
                      <td>{last ? formatDayShort(last, tz) : '—'}</td>
                      <td>{client.email}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        </>
      )}
      <AddClientDialog open={adding} onClose={() => setAdding(false)} onAdded={(c) => navigate(`/app/clients/${c.id}`)} />
    </>
  );
}

function AddClientDialog({ open, onClose, onAdded }: { open: boolean; onClose: () => void; onAdded: (client: Client) => void }) {
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const { busy, error, run } = useAction();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    await run(async () => onAdded(await api.post<Client>('/clients', { name: name.trim(), email: email.trim() })));
  };
  return (
    <Dialog open={open} onClose={onClose} title="Add a client">
      <form onSubmit={submit} className="stack" noValidate>
        <Field label="Name" required value={name} onChange={(e) => setName(e.target.value)} error={fieldError(error, '/name')} />
        <Field label="Email" type="email" required value={email} onChange={(e) => setEmail(e.target.value)} error={fieldError(error, '/email')} />
        {error !== null && !(error instanceof ApiError && error.code === 'validation_failed') && <ErrorBox error={error} />}
        <div className="dialog-actions">
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button button-primary" disabled={busy}>
            Add client
          </button>
        </div>
      </form>
    </Dialog>
  );
}

/** A ledger line as a sentence: "Late cancellation of Tue 11 Mar 10:00 — 1 credit used". */
export function ledgerText(entry: LedgerEntry, bookings: Map<string, Booking>, lots: Map<string, Lot>, tz: string): string {
  const booking = entry.bookingId ? bookings.get(entry.bookingId) : undefined;
  const of = booking ? ` ${formatDayShort(booking.start, tz)} ${formatTime(booking.start, tz)}` : ' a session';
  const n = credits(Math.abs(entry.amount));
  const lot = lots.get(entry.lotId);
  switch (entry.kind) {
    case 'grant':
      return lot?.packageId ? `${lot.packageName}: ${n} added` : `${n} granted`;
    case 'hold':
      return `Booked${of} — ${n} held`;
    case 'release':
      return `Cancelled${of} — ${n} returned`;
    case 'consume':
      return `Attended${of} — ${n} used`;
    case 'forfeit':
      return `${booking?.status === 'no_show' ? 'No-show at' : 'Late cancellation of'}${of} — ${n} used`;
    case 'restore':
      return `Waived${of} — ${n} given back`;
    case 'expire':
      return `${n} expired${lot ? ` (${lot.packageName})` : ''}`;
    case 'revoke':
      return `Refunded — ${n} taken back`;
    case 'adjust':
      return `Adjusted: ${entry.amount > 0 ? '+' : '−'}${n}`;
    default:
      return `${entry.kind}: ${n}`;
  }
}

export function actorText(entry: LedgerEntry, userId: string): string {
  if (entry.actor.name) return `by ${entry.actor.name}`;
  switch (entry.actor.kind) {
    case 'client':
      return 'by client';
    case 'practitioner':
      return entry.actor.id === userId ? 'by you' : 'by the practice';
    default:
      return 'automatically';
  }
}

type Action =
  | { kind: 'book' }
  | { kind: 'grant' }
  | { kind: 'adjust' }
  | { kind: 'erase' }
  | { kind: 'cancel'; booking: Booking }
  | { kind: 'waive'; booking: Booking }
  | { kind: 'settle'; booking: Booking; how: 'complete' | 'no-show' }
  | { kind: 'refund'; purchase: Purchase };

export function ClientPage({ id }: { id: string }) {
  const { account } = useAccount();
  const tz = account.practice.timeZone;
  // What the role may do (the server decides; this only hides the buttons it would refuse).
  const isOwner = account.member.role === 'owner';
  const givesCredits = account.member.role !== 'assistant';
  const data = useLoad(async () => {
    const [detail, services, packages] = await Promise.all([
      api.get<ClientDetail>(`/clients/${encodeURIComponent(id)}`),
      getAll<Service>('/services', 2),
      getAll<Package>('/packages', 2),
    ]);
    return { detail, services, packages };
  }, [id]);
  const [action, setAction] = useState<Action | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [rowError, setRowError] = useState<unknown>(null);
  useTitle(data.data ? data.data.detail.name || data.data.detail.email : 'Client');

  if (data.loading && !data.data) return <Loading label="Loading the client…" />;
  if (data.error || !data.data) {
    return (
      <>
        <h1 tabIndex={-1}>{data.error instanceof ApiError && data.error.status === 404 ? 'No such client' : 'This client did not load'}</h1>
        <ErrorBox error={data.error} />
        <Link to="/app/clients">Back to clients</Link>
      </>
    );
  }
  const { detail, services, packages } = data.data;
  const bookingsById = new Map(detail.bookings.map((b) => [b.id, b]));
  const lotsById = new Map(detail.lots.map((l) => [l.id, l]));
  const now = Date.now();
  const sorted = [...detail.bookings].sort((a, b) => Date.parse(b.start) - Date.parse(a.start));
  const waivable = (b: Booking) =>
    (b.status === 'late_cancelled' || b.status === 'no_show') &&
    detail.ledger.some((e) => e.bookingId === b.id && e.kind === 'forfeit') &&
    !detail.ledger.some((e) => e.bookingId === b.id && e.kind === 'restore');
  const feeOf = (b: Booking): Fee | undefined => detail.fees.find((f) => f.bookingId === b.id);
  const done = (text: string) => {
    setAction(null);
    setMessage(text);
    data.reload();
  };
  const feeAction = async (fee: Fee, how: 'paid' | 'waive') => {
    setRowError(null);
    try {
      await api.post(`/fees/${encodeURIComponent(fee.id)}/${how}`, how === 'waive' ? {} : undefined);
      done(how === 'paid' ? 'Fee marked as paid.' : 'Fee waived.');
    } catch (e) {
      setRowError(e);
    }
  };

  return (
    <>
      <p className="breadcrumb">
        <Link to="/app/clients">Clients</Link> <span aria-hidden="true">›</span>
      </p>
      <h1 tabIndex={-1}>{detail.name || detail.email}</h1>
      <p className="hint">{detail.email}</p>
      {message && <Notice kind="success">{message}</Notice>}
      <ErrorBox error={rowError} />

      <section className="card-section" aria-labelledby="balance-heading">
        <h2 id="balance-heading">Balance</h2>
        <p className="balance-line" data-testid="client-balance">
          <strong className="balance-main">{credits(detail.credits.available)} available</strong> · {detail.credits.held} scheduled · {detail.credits.used} used
          {detail.credits.expired > 0 && <> · {detail.credits.expired} expired</>}
        </p>
        <div className="row wrap">
          <button type="button" className="button button-primary" onClick={() => setAction({ kind: 'book' })}>
            Book for them
          </button>
          {givesCredits && (
            <>
              <button type="button" className="button" onClick={() => setAction({ kind: 'grant' })}>
                Grant credits
              </button>
              <button type="button" className="button" onClick={() => setAction({ kind: 'adjust' })} disabled={detail.lots.length === 0}>
                Adjust
              </button>
            </>
          )}
          {isOwner && (
            <button type="button" className="button" onClick={() => setAction({ kind: 'erase' })}>
              Erase personal data
            </button>
          )}
        </div>
        {detail.lots.length === 0 ? (
          <Empty>No credits yet.</Empty>
        ) : (
          <div className="table-wrap" role="region" aria-label="Credits by package" tabIndex={0}>
            <table className="table">
              <caption className="visually-hidden">Credits by package</caption>
              <thead>
                <tr>
                  <th scope="col">Package</th>
                  <th scope="col">Bought</th>
                  <th scope="col">Expires</th>
                  <th scope="col" className="num">
                    Available
                  </th>
                  <th scope="col" className="num">
                    Held
                  </th>
                  <th scope="col" className="num">
                    Used
                  </th>
                  <th scope="col" className="num">
                    Expired
                  </th>
                </tr>
              </thead>
              <tbody>
                {detail.lots.map((lot) => (
                  <tr key={lot.id}>
                    <th scope="row">{lot.packageName || 'Credits'}</th>
                    <td>{formatDate(lot.createdAt, tz)}</td>
                    <td>{lot.expiresAt ? formatDate(new Date(Date.parse(lot.expiresAt) - 1), tz) : 'Never'}</td>
                    <td className="num">{lot.available}</td>
                    <td className="num">{lot.held}</td>
                    <td className="num">{lot.used}</td>
                    <td className="num">{lot.expired}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <section className="card-section" aria-labelledby="sessions-heading">
        <h2 id="sessions-heading">Sessions</h2>
        {sorted.length === 0 ? (
          <Empty>No sessions yet.</Empty>
        ) : (
          <ul className="booking-list">
            {sorted.map((b) => {
              const started = Date.parse(b.start) <= now;
              const fee = feeOf(b);
              const label = formatRange(b.start, b.end, tz);
              return (
                <li key={b.id} className="booking-item" data-booking-id={b.id}>
                  <div>
                    <p className="booking-when">{label}</p>
                    <p className="booking-what">
                      {b.serviceName} · <span className={`chip status-chip status-${b.status}`}>{statusText(b.status)}</span>
                      {b.payment.kind === 'credits' && <span className="hint"> · {credits(b.payment.credits)}</span>}
                      {b.cancelReason && <span className="ledger-reason"> — “{b.cancelReason}”</span>}
                      {detail.ledger.some((e) => e.bookingId === b.id && e.kind === 'restore') && <span className="hint"> · waived</span>}
                      {fee && (
                        <span className="hint">
                          {' '}
                          · fee {formatMoney(fee.amount)} {fee.status}
                        </span>
                      )}
                    </p>
                  </div>
                  <div className="row wrap">
                    {b.status === 'confirmed' && started && (
                      <>
                        <button type="button" className="button" onClick={() => setAction({ kind: 'settle', booking: b, how: 'complete' })} aria-label={`Mark attended: ${label}`}>
                          Mark attended
                        </button>
                        <button type="button" className="button" onClick={() => setAction({ kind: 'settle', booking: b, how: 'no-show' })} aria-label={`No-show: ${label}`}>
                          No-show
                        </button>
                      </>
                    )}
                    {b.status === 'confirmed' && Date.parse(b.end) > now && (
                      <button type="button" className="button button-danger-outline" onClick={() => setAction({ kind: 'cancel', booking: b })} aria-label={`Cancel ${label}`}>
                        Cancel
                      </button>
                    )}
                    {givesCredits && waivable(b) && (
                      <button type="button" className="button" onClick={() => setAction({ kind: 'waive', booking: b })} aria-label={`Waive ${label}`}>
                        Waive
                      </button>
                    )}
                    {fee?.status === 'owed' && (
                      <>
                        <button type="button" className="button" onClick={() => void feeAction(fee, 'paid')}>
                          Fee paid
                        </button>
                        {givesCredits && (
                          <button type="button" className="button" onClick={() => void feeAction(fee, 'waive')}>
                            Waive fee
                          </button>
                        )}
                      </>
                    )}
                  </div>
                </li>
              );
            })}
          </ul>
        )}
      </section>

      <section className="card-section" aria-labelledby="purchases-heading">
        <h2 id="purchases-heading">Purchases</h2>
        {detail.purchases.length === 0 ? (
          <Empty>No purchases yet.</Empty>
        ) : (
          <ul className="plain-list">
            {detail.purchases.map((p) => (
              <li key={p.id} className="purchase-line">
                <span>
                  {formatDate(p.createdAt, tz)} · {packages.find((k) => k.id === p.packageId)?.name ?? 'Package'} · {formatMoney(p.amount)} · {p.status}
                  {p.provider === 'manual' && ' (paid outside Tallybook)'}
                  {p.provider === 'stripe' && ' (Stripe)'}
                  {p.refundedAmount && <> · {formatMoney(p.refundedAmount)} refunded</>}
                </span>
                {isOwner && p.status === 'paid' && (
                  <button type="button" className="button" onClick={() => setAction({ kind: 'refund', purchase: p })} aria-label={`Refund ${packages.find((k) => k.id === p.packageId)?.name ?? 'this package'} bought ${formatDate(p.createdAt, tz)}`}>
                    Refund
                  </button>
                )}
              </li>
            ))}
          </ul>
        )}
      </section>

      <section className="card-section" aria-labelledby="history-heading">
        <h2 id="history-heading">History</h2>
        {detail.ledger.length === 0 ? (
          <Empty>Nothing yet.</Empty>
        ) : (
          <ol className="ledger" data-testid="ledger">
            {detail.ledger.map((e) => (
              <li key={e.id}>
                <span className="ledger-date">{formatDayShort(e.createdAt, tz)}</span> · {ledgerText(e, bookingsById, lotsById, tz)} · <span className="hint">{actorText(e, account.user.id)}</span>
                {e.reason && <span className="ledger-reason"> — “{e.reason}”</span>}
              </li>
            ))}
          </ol>
        )}
      </section>

      {action?.kind === 'book' && (
        <BookForClientDialog client={detail} services={services.filter((s) => s.active)} slug={account.practice.slug} tz={tz} onClose={() => setAction(null)} onDone={done} />
      )}
      {action?.kind === 'grant' && <GrantDialog client={detail} packages={packages} onClose={() => setAction(null)} onDone={done} />}
      {action?.kind === 'adjust' && <AdjustDialog client={detail} tz={tz} onClose={() => setAction(null)} onDone={done} />}
      {action?.kind === 'erase' && <EraseDialog client={detail} onClose={() => setAction(null)} onDone={done} />}
      {action?.kind === 'cancel' && <PractitionerCancelDialog booking={action.booking} tz={tz} onClose={() => setAction(null)} onDone={done} />}
      {action?.kind === 'waive' && <WaiveDialog booking={action.booking} tz={tz} onClose={() => setAction(null)} onDone={done} />}
      {action?.kind === 'refund' && <RefundDialog purchase={action.purchase} packageName={packages.find((k) => k.id === action.purchase.packageId)?.name ?? 'Package'} tz={tz} onClose={() => setAction(null)} onDone={done} />}
      {action?.kind === 'settle' && <SettleDialog booking={action.booking} how={action.how} tz={tz} onClose={() => setAction(null)} onDone={done} />}
    </>
  );
}

function BookForClientDialog({ client, services, slug, tz, onClose, onDone }: { client: ClientDetail; services: Service[]; slug: string; tz: string; onClose: () => void; onDone: (text: string) => void }) {
  const [serviceId, setServiceId] = useState(services[0]?.id ?? '');
  const { slot, setSlot, taken, refreshKey, slotTaken } = usePickedSlot();
  const { busy, error, setError, run } = useAction();
  const service = services.find((s) => s.id === serviceId);
  const book = async () => {
    if (!slot || !service) return;
    await run(
      async () => {
        const result = await api.postOnce<{ booking: Booking; credits: { available: number } }>('/bookings', { clientId: client.id, serviceId, start: slot.start });
        onDone(`Booked ${formatRange(result.booking.start, result.booking.end, tz)}. ${client.name || client.email} has ${credits(result.credits.available)} left.`);
      },
      {
        onError: (e) => {
          if (e instanceof ApiError && e.code === 'slot_unavailable') slotTaken(slot.start);
          else setError(e);
        },
      },
    );
  };
  return (
    <Dialog open onClose={onClose} title={`Book for ${client.name || client.email}`} wide>
      {services.length === 0 ? (
        <Empty>Add a service in Settings first.</Empty>
      ) : (
        <>
          <SelectField label="Service" value={serviceId} onChange={(e) => { setServiceId(e.target.value); setSlot(null); }}>
            {services.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </SelectField>
          {service && !slot && <SlotPicker slug={slug} service={service} practiceTimeZone={tz} timeZone={tz} onPick={setSlot} takenStart={taken} refreshKey={refreshKey} />}
          {service && slot && (
            <>
              <p className="confirm-line">
                <strong>{formatRange(slot.start, slot.end, tz)}</strong> · {service.name} · uses {credits(service.creditCost)} of their {credits(client.credits.available)}
              </p>
              {error !== null && (
                <ErrorBox>
                  {error instanceof ApiError && error.code === 'credits_exhausted'
                    ? `${client.name || client.email} has no credits that cover this session. Grant credits or record a package sale first.`
                    : errorMessage(error)}
                </ErrorBox>
              )}
              <div className="dialog-actions">
                <button type="button" className="button" onClick={() => setSlot(null)}>
                  Pick another time
                </button>
                <button type="button" className="button button-primary" onClick={() => void book()} disabled={busy}>
                  {busy ? 'Booking…' : 'Book'}
                </button>
              </div>
            </>
          )}
        </>
      )}
    </Dialog>
  );
}

function GrantDialog({ client, packages, onClose, onDone }: { client: ClientDetail; packages: Package[]; onClose: () => void; onDone: (text: string) => void }) {
  const sellable = packages.filter((p) => p.active);
  const [mode, setMode] = useState<'package' | 'credits'>(sellable.length ? 'package' : 'credits');
  const [packageId, setPackageId] = useState(sellable[0]?.id ?? '');
  const [paid, setPaid] = useState(true);
  const [amount, setAmount] = useState('1');
  const [validity, setValidity] = useState('');
  const [reason, setReason] = useState('');
  const { busy, error, run } = useAction();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    await run(async () => {
      const body =
        mode === 'package'
          ? { packageId, ...(paid ? { payment: 'manual' } : {}) }
          : { credits: Number(amount), reason: reason.trim(), ...(validity.trim() ? { validityDays: Number(validity) } : {}) };
      const lot = await api.postOnce<Lot>(`/clients/${encodeURIComponent(client.id)}/grants`, body);
      onDone(`${credits(lot.granted)} added${lot.packageId ? ` (${lot.packageName})` : ''}.`);
    });
  };
  return (
    <Dialog open onClose={onClose} title={`Grant credits to ${client.name || client.email}`}>
      <form onSubmit={submit} className="stack" noValidate>
        <fieldset className="fieldset">
          <legend>What to grant</legend>
          <div className="check">
            <input type="radio" id="grant-package" name="grant-mode" checked={mode === 'package'} onChange={() => setMode('package')} disabled={sellable.length === 0} />
            <label htmlFor="grant-package">A package</label>
          </div>
          <div className="check">
            <input type="radio" id="grant-credits" name="grant-mode" checked={mode === 'credits'} onChange={() => setMode('credits')} />
            <label htmlFor="grant-credits">Free credits</label>
          </div>
        </fieldset>
        {mode === 'package' ? (
          <>
            <SelectField label="Package" value={packageId} onChange={(e) => setPackageId(e.target.value)}>
              {sellable.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name} — {packageLine(p, false)}
                </option>
              ))}
            </SelectField>
            <div className="check">
              <input type="checkbox" id="grant-paid" checked={paid} onChange={(e) => setPaid(e.target.checked)} />
              <label htmlFor="grant-paid">They paid outside Tallybook (record the sale)</label>
            </div>
          </>
        ) : (
          <>
            <Field label="Credits" type="number" inputMode="numeric" min={1} value={amount} onChange={(e) => setAmount(e.target.value)} error={fieldError(error, '/credits')} />
            <Field label="Valid for (days, optional)" type="number" inputMode="numeric" min={1} value={validity} onChange={(e) => setValidity(e.target.value)} hint="Leave empty: they never expire." />
            <TextAreaField label="Why" required value={reason} onChange={(e) => setReason(e.target.value)} rows={2} placeholder="e.g. Goodwill for the rescheduled workshop" />
          </>
        )}
        {error !== null && <ErrorBox error={error} />}
        <div className="dialog-actions">
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button button-primary" disabled={busy || (mode === 'credits' && !reason.trim()) || (mode === 'package' && !packageId)}>
            {busy ? 'Granting…' : 'Grant'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function AdjustDialog({ client, tz, onClose, onDone }: { client: ClientDetail; tz: string; onClose: () => void; onDone: (text: string) => void }) {
  const [lotId, setLotId] = useState(client.lots.find((l) => l.available > 0)?.id ?? client.lots[0]?.id ?? '');
  const [amount, setAmount] = useState('-1');
  const [reason, setReason] = useState('');
  const { busy, error, run } = useAction();
  const lot = client.lots.find((l) => l.id === lotId);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    await run(async () => {
      await api.postOnce<LedgerEntry>(`/clients/${encodeURIComponent(client.id)}/adjustments`, { lotId, amount: Number(amount), reason: reason.trim() });
      onDone(`Adjusted by ${Number(amount) > 0 ? '+' : ''}${amount}.`);
    });
  };
  return (
    <Dialog open onClose={onClose} title="Adjust credits">
      <form onSubmit={submit} className="stack" noValidate>
        <SelectField label="Package" value={lotId} onChange={(e) => setLotId(e.target.value)}>
          {client.lots.map((l) => (
            <option key={l.id} value={l.id}>
              {l.packageName || 'Credits'} — bought {formatDate(l.createdAt, tz)}, {l.available} available
            </option>
          ))}
        </SelectField>
        <Field
          label="Change"
          type="number"
          inputMode="numeric"
          step={1}
          value={amount}
          onChange={(e) => setAmount(e.target.value)}
          hint={`Positive adds, negative removes (at most ${lot?.available ?? 0}).`}
          error={fieldError(error, '/amount')}
        />
        <TextAreaField label="Why" required value={reason} onChange={(e) => setReason(e.target.value)} rows={2} placeholder="e.g. Counted a session twice" />
        {error !== null && !(error instanceof ApiError && error.fieldError('/amount')) && <ErrorBox error={error} />}
        <div className="dialog-actions">
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button button-primary" disabled={busy || !reason.trim() || !Number(amount)}>
            {busy ? 'Saving…' : 'Save adjustment'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

/** The privacy request: the server keeps the ledger's amounts and replaces the person with a tombstone. */
function EraseDialog({ client, onClose, onDone }: { client: ClientDetail; onClose: () => void; onDone: (text: string) => void }) {
  const { busy, error, run } = useAction();
  const erase = () =>
    run(async () => {
      await api.delete<Client>(`/clients/${encodeURIComponent(client.id)}`);
      onDone('Personal data erased. The history keeps its numbers.');
    });
  return (
    <Dialog open onClose={onClose} title={`Erase ${client.name || client.email}?`}>
      <div className="stack">
        <p>Their name and email are replaced for good, they are signed out, and mail kept for them is blanked. Credits, sessions and the history keep their numbers.</p>
        <ErrorBox error={error} />
        <div className="dialog-actions">
          <button type="button" className="button" onClick={onClose}>
            Keep
          </button>
          <button type="button" className="button button-primary" onClick={() => void erase()} disabled={busy}>
            {busy ? 'Erasing…' : 'Erase'}
          </button>
        </div>
      </div>
    </Dialog>
  );
}

function outcomeText(outcome: Cancellation): string {
  switch (outcome.outcome) {
    case 'release':
      return `${credits(outcome.credits)} returned.`;
    case 'forfeit':
      return `${credits(outcome.credits)} used.`;
    case 'fee':
      return `A ${outcome.fee ? formatMoney(outcome.fee) : ''} fee is owed${outcome.credits ? `; ${credits(outcome.credits)} returned` : ''}.`;
    default:
      return 'No credits involved.';
  }
}

function PractitionerCancelDialog({ booking, tz, onClose, onDone }: { booking: Booking; tz: string; onClose: () => void; onDone: (text: string) => void }) {
  const [applyPolicy, setApplyPolicy] = useState(false);
  const [reason, setReason] = useState('');
  const { busy, error, run } = useAction();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    await run(async () => {
      const result = await api.postOnce<{ booking: Booking; outcome: Cancellation }>(`/bookings/${encodeURIComponent(booking.id)}/cancel`, { applyPolicy, ...(reason.trim() ? { reason: reason.trim() } : {}) });
      onDone(`Cancelled ${formatRange(booking.start, booking.end, tz)}. ${outcomeText(result.outcome)}`);
    });
  };
  return (
    <Dialog open onClose={onClose} title="Cancel this session?">
      <form onSubmit={submit} className="stack">
        <p className="booking-when">
          {formatRange(booking.start, booking.end, tz)} · {booking.serviceName}
        </p>
        <p>{applyPolicy ? 'The cancellation policy decides: inside the window the credit is used (or a fee is owed).' : 'The client gets their credit back.'}</p>
        <div className="check">
          <input type="checkbox" id="apply-policy" checked={applyPolicy} onChange={(e) => setApplyPolicy(e.target.checked)} />
          <label htmlFor="apply-policy">The client asked late — apply the cancellation policy</label>
        </div>
        <TextAreaField label="Note (optional)" value={reason} onChange={(e) => setReason(e.target.value)} rows={2} />
        <ErrorBox error={error} />
        <div className="dialog-actions">
          <button type="button" className="button" onClick={onClose} autoFocus>
            Keep it
          </button>
          <button type="submit" className="button button-danger" disabled={busy}>
            {busy ? 'Cancelling…' : 'Cancel session'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function WaiveDialog({ booking, tz, onClose, onDone }: { booking: Booking; tz: string; onClose: () => void; onDone: (text: string) => void }) {
  const [reason, setReason] = useState('');
  const { busy, error, run } = useAction();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    await run(async () => {
      await api.postOnce(`/bookings/${encodeURIComponent(booking.id)}/waive`, { reason: reason.trim() });
      onDone(`Waived: the credit for ${formatRange(booking.start, booking.end, tz)} is back.`);
    });
  };
  return (
    <Dialog open onClose={onClose} title="Waive and give the credit back?">
      <form onSubmit={submit} className="stack">
        <p className="booking-when">
          {formatRange(booking.start, booking.end, tz)} · {booking.serviceName} · {statusText(booking.status)}
        </p>
        <TextAreaField label="Why" required value={reason} onChange={(e) => setReason(e.target.value)} rows={2} placeholder="e.g. Illness" />
        <ErrorBox error={error} />
        <div className="dialog-actions">
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button button-primary" disabled={busy || !reason.trim()}>
            {busy ? 'Waiving…' : 'Waive'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function SettleDialog({ booking, how, tz, onClose, onDone }: { booking: Booking; how: 'complete' | 'no-show'; tz: string; onClose: () => void; onDone: (text: string) => void }) {
  const { busy, error, run } = useAction();
  const submit = () =>
    run(async () => {
      const result = await api.postOnce<{ booking: Booking; outcome: Cancellation }>(`/bookings/${encodeURIComponent(booking.id)}/${how}`, {});
      onDone(how === 'complete' ? `Marked attended. ${credits(booking.payment.credits)} used.` : `Marked no-show. ${outcomeText(result.outcome)}`);
    });
  return (
    <Dialog open onClose={onClose} title={how === 'complete' ? 'Mark as attended?' : 'Mark as no-show?'}>
      <p className="booking-when">
        {formatRange(booking.start, booking.end, tz)} · {booking.serviceName}
      </p>
      <p>{how === 'complete' ? 'The held credit is used.' : 'The no-show policy applies: usually the credit is used.'}</p>
      <ErrorBox error={error} />
      <div className="dialog-actions">
        <button type="button" className="button" onClick={onClose}>
          Cancel
        </button>
        <button type="button" className="button button-primary" onClick={() => void submit()} disabled={busy}>
          {how === 'complete' ? 'Mark attended' : 'Mark no-show'}
        </button>
      </div>
    </Dialog>
  );
}

/**
 * Refund a package: the server quotes the pro-rata amount for the credits chosen (never computed
 * here) and which upcoming sessions it would need cancelled, before anything is confirmed.
 */
function RefundDialog({ purchase, packageName, tz, onClose, onDone }: { purchase: Purchase; packageName: string; tz: string; onClose: () => void; onDone: (text: string) => void }) {
  const [creditsText, setCreditsText] = useState('');
  const [quote, setQuote] = useState<RefundQuote | null>(null);
  const [quoteError, setQuoteError] = useState<unknown>(null);
  const { busy, error, run } = useAction();
  const [key] = useState(newIdempotencyKey);
  const chosen = creditsText === '' ? undefined : Number(creditsText);

  useEffect(() => {
    let live = true;
    const query = chosen !== undefined && Number.isInteger(chosen) && chosen > 0 ? `?credits=${chosen}` : '';
    api
      .get<RefundQuote>(`/purchases/${encodeURIComponent(purchase.id)}/refund${query}`)
      .then((q) => {
        if (!live) return;
        setQuote(q);
        setQuoteError(null);
        if (creditsText === '') setCreditsText(String(q.refund.credits));
      })
      .catch((e: unknown) => live && setQuoteError(e));
    return () => {
      live = false;
    };
  }, [purchase.id, chosen]);

  const cancelling = quote?.bookingsToCancel ?? [];
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!quote) return;
    await run(async () => {
      const result = await api.post<{ purchase: Purchase; refund: Refund }>(
        `/purchases/${encodeURIComponent(purchase.id)}/refund`,
        { credits: quote.refund.credits, ...(cancelling.length > 0 ? { cancelBookings: true } : {}) },
        { idempotencyKey: `${key}-${quote.refund.credits}` },
      );
      onDone(
        result.refund.status === 'succeeded'
          ? `Refunded ${formatMoney(result.refund.amount)} for ${plural(result.refund.credits, 'credit')}.`
          : `Refund of ${formatMoney(result.refund.amount)} recorded; the payment provider is finishing it.`,
      );
    });
  };
  return (
    <Dialog open onClose={onClose} title={`Refund ${packageName}?`}>
      <form onSubmit={submit} className="stack" noValidate>
        <p className="hint">
          Bought {formatDate(purchase.createdAt, tz)} for {formatMoney(purchase.amount)}
          {purchase.refundedAmount && <> · {formatMoney(purchase.refundedAmount)} refunded already</>}.
        </p>
        <Field
          label="Unused credits to refund"
          type="number"
          inputMode="numeric"
          min={1}
          max={quote?.refundableCredits}
          step={1}
          value={creditsText}
          onChange={(e) => setCreditsText(e.target.value)}
          hint={quote ? `At most ${quote.refundableCredits}.` : undefined}
        />
        {quote && !quoteError && (
          <div className="notice" data-testid="refund-quote">
            <p>
              <strong>
                Refund {formatMoney(quote.refund.amount)} for {plural(quote.refund.credits, 'credit')}
              </strong>{' '}
              — {plural(quote.refund.credits, 'credit')} {quote.refund.credits === 1 ? 'is' : 'are'} taken back.
            </p>
            {cancelling.length > 0 && (
              <p>
                This also cancels {cancelling.length === 1 ? 'an upcoming session' : `${cancelling.length} upcoming sessions`} that hold{cancelling.length === 1 ? 's' : ''} those credits:{' '}
                {cancelling.map((b) => formatDayShort(b.start, tz) + ' ' + formatTime(b.start, tz)).join(', ')}. The client is told by email.
              </p>
            )}
          </div>
        )}
        {quoteError !== null && <ErrorBox error={quoteError} />}
        <ErrorBox error={error} />
        <div className="dialog-actions">
          <button type="button" className="button" onClick={onClose}>
            Keep it
          </button>
          <button type="submit" className="button button-danger" disabled={busy || !quote || quoteError !== null}>
            {busy ? 'Refunding…' : cancelling.length > 0 ? `Cancel ${cancelling.length === 1 ? 'the session' : 'sessions'} and refund` : `Refund ${quote ? formatMoney(quote.refund.amount) : ''}`}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
