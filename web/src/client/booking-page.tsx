import { useCallback, useEffect, useRef, useState, type RefObject } from 'react';
import { api, ApiError, getAll, type Booking, type Credits, type Me, type Money, type Package, type PublicPage, type Purchase, type Service, type Slot } from '../api';
import { SlotPicker } from '../calendar';
import { credits, detectTimeZone, durationText, formatMoney, formatRange, packageLine, plural, policySentence, sessionsMode } from '../format';
import { bookingIcs, downloadFile } from '../ics';
import { Link, navigate, useLocation, useTitle } from '../router';
import { ErrorBox, Loading, Notice, useFocusOnMount, useLoad } from '../ui';
import { ClientSignIn, loadMe, rememberClientSlug } from './sign-in';
import { PracticeHeader } from './practice-header';

type Step = 'service' | 'time' | 'who' | 'confirm' | 'done';

interface Offer {
  packages: Package[];
  singleSessionPrice: Money | null;
}

interface PendingBooking {
  slug: string;
  serviceId: string;
  start: string;
  end: string;
  purchaseId: string;
}

interface Returned {
  outcome: string;
  purchase: string | null;
  booking: string | null;
}

type PaymentState = { kind: 'confirming' } | { kind: 'paid'; text: string } | { kind: 'failed'; text: string } | { kind: 'abandoned' } | { kind: 'slow' };

const TZ_KEY = 'tallybook.timeZone';
const PENDING_KEY = 'tallybook.pendingBooking';

export function useViewerTimeZone(): [string, (zone: string) => void] {
  const [zone, setZone] = useState(() => {
    try {
      return localStorage.getItem(TZ_KEY) || detectTimeZone();
    } catch {
      return detectTimeZone();
    }
  });
  const change = useCallback((next: string) => {
    setZone(next);
    try {
      localStorage.setItem(TZ_KEY, next);
    } catch {
      // not kept: fine
    }
  }, []);
  return [zone, change];
}

export function packagesCovering(packages: Package[], serviceId: string): Package[] {
  return packages.filter((p) => p.active && (p.serviceIds === null || p.serviceIds.includes(serviceId)));
}

const POLL_MS = 1500;

async function waitUntilPaid(purchase: Purchase, attempts = 20): Promise<Purchase> {
  let current = purchase;
  for (let i = 0; i < attempts && current.status === 'pending'; i++) {
    await new Promise((r) => setTimeout(r, POLL_MS));
    current = await api.get<Purchase>(`/me/purchases/${encodeURIComponent(current.id)}`);
  }
  return current;
}

/** A single session paid through Stripe: its booking once it is no longer waiting for the payment. */
async function waitForBooking(id: string, attempts = 40): Promise<Booking | undefined> {
  for (let i = 0; ; i++) {
    const booking = (await getAll<Booking>('/me/bookings', 2)).find((b) => b.id === id);
    if (!booking || booking.status !== 'pending_payment' || i >= attempts) return booking;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

export function BookingPage({ slug }: { slug: string }) {
  const page = useLoad(() => api.get<PublicPage>(`/public/${encodeURIComponent(slug)}`), [slug]);
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  const [timeZone, setTimeZone] = useViewerTimeZone();
  const [step, setStep] = useState<Step>('service');
  const [service, setService] = useState<Service | null>(null);
  const [slot, setSlot] = useState<Slot | null>(null);
  const [taken, setTaken] = useState<string | null>(null);
  const [refreshKey, setRefreshKey] = useState(0);
  const [offer, setOffer] = useState<Offer | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [result, setResult] = useState<{ booking: Booking; credits: Credits } | null>(null);
  const [checking, setChecking] = useState(false);
  const { search } = useLocation();
  const returned = useRef<Returned | null>(
    search.get('checkout') ? { outcome: search.get('checkout')!, purchase: search.get('purchase'), booking: search.get('booking') } : null,
  );
  const lastReturn = useRef<Returned | null>(null);
  const lastPending = useRef<PendingBooking | null>(null);
  const [payment, setPayment] = useState<PaymentState | null>(returned.current ? { kind: 'confirming' } : null);
  const heading = useRef<HTMLHeadingElement>(null);
  const firstRender = useRef(true);

  useTitle(page.data ? `Book with ${page.data.practice.name}` : 'Book');

  const refreshMe = useCallback(async () => {
    if (!page.data) return null;
    const next = await loadMe(slug, page.data.services.map((s) => s.id));
    setMe(next);
    return next;
  }, [page.data, slug]);

  useEffect(() => {
    if (page.data) refreshMe().catch(() => setMe(null));
  }, [page.data, refreshMe]);

  useEffect(() => {
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    heading.current?.focus();
  }, [step]);

  const book = useCallback(
    async (svc: Service, chosen: Slot, payment: 'credits' | 'single' = 'credits') => {
      setBusy(payment === 'single' ? 'single' : 'book');
      setError(null);
      try {
        const body = payment === 'single' ? { serviceId: svc.id, start: chosen.start, payment } : { serviceId: svc.id, start: chosen.start };
        // A retry of the same choice after a lost answer carries the same key: one booking, its first answer.
        const booked = await api.postOnce<{ booking: Booking; credits: Credits; checkoutUrl?: string | null }>('/me/bookings', body);
        if (booked.checkoutUrl) {
          // Paid alone through Stripe: the time is held while the client pays on Stripe's page.
          window.location.assign(booked.checkoutUrl);
          return;
        }
        setResult(booked);
        setOffer(null);
        setStep('done');
        void refreshMe();
      } catch (e) {
        if (e instanceof ApiError && e.code === 'credits_exhausted') {
          setOffer({ packages: e.problem.packages ?? [], singleSessionPrice: e.problem.singleSessionPrice ?? null });
          void refreshMe();
        } else if (e instanceof ApiError && e.code === 'slot_unavailable') {
          setTaken(chosen.start);
          setSlot(null);
          setRefreshKey((k) => k + 1);
          setStep('time');
        } else if (e instanceof ApiError && e.status === 401) {
          rememberClientSlug(null);
          setMe(null);
          setStep('who');
        } else {
          setError(e);
        }
      } finally {
        setBusy(null);
      }
    },
    [refreshMe],
  );

  // Back from Stripe Checkout (?checkout=success|cancelled&purchase=… or &booking=…): wait for the
  // webhook, then show the balance, or book the slot chosen before paying.
  const confirmReturn = useCallback(
    async (back: Returned, pending: PendingBooking | null, signedIn: Me | null) => {
      if (!page.data) return;
      const svc = pending ? page.data.services.find((s) => s.id === pending.serviceId) : undefined;
      const chosen = pending ? { start: pending.start, end: pending.end, remaining: 1 } : null;
      if (!signedIn) {
        setPayment(null);
        return;
      }
      if (back.outcome !== 'success') {
        setPayment({ kind: 'abandoned' });
        if (svc && chosen) {
          setService(svc);
          setSlot(chosen);
          setStep('confirm');
        }
        return;
      }
      setPayment({ kind: 'confirming' });
      try {
        if (back.booking) {
          const booking = await waitForBooking(back.booking);
          if (booking?.status === 'confirmed') {
            setService(page.data.services.find((s) => s.id === booking.serviceId) ?? null);
            setResult({ booking, credits: signedIn.credits });
            setStep('done');
            setPayment(null);
          } else if (booking?.status === 'cancelled') {
            setPayment({ kind: 'failed', text: 'The payment did not arrive within the 30 minutes the time was held, so the time was released. If you were charged, the payment is refunded in full.' });
          } else {
            setPayment({ kind: 'slow' });
          }
          return;
        }
        if (back.purchase) {
          const purchase = await waitUntilPaid(await api.get<Purchase>(`/me/purchases/${encodeURIComponent(back.purchase)}`), 40);
          if (purchase.status === 'paid') {
            const fresh = await refreshMe();
            if (svc && chosen && pending?.purchaseId === purchase.id) {
              setPayment(null);
              setService(svc);
              setSlot(chosen);
              setStep('confirm');
              await book(svc, chosen);
              return;
            }
            const left = fresh ? plural(fresh.credits.available, sessionsMode(page.data.services) ? 'session' : 'credit') : null;
            setPayment({ kind: 'paid', text: left ? `Payment received — you have ${left} left.` : 'Payment received.' });
          } else if (purchase.status === 'failed') {
            setPayment({ kind: 'failed', text: 'The payment did not go through, so nothing was charged. Try again, or choose another way to pay.' });
          } else {
            setPayment({ kind: 'slow' });
          }
        }
      } catch (e) {
        setPayment(null);
        setError(e);
      }
    },
    [page.data, refreshMe, book],
  );

  useEffect(() => {
    if (!page.data || me === undefined || !returned.current) return;
    const back = returned.current;
    returned.current = null;
    lastReturn.current = back;
    navigate(`/${slug}`, { replace: true });
    let pending: PendingBooking | null = null;
    try {
      pending = JSON.parse(sessionStorage.getItem(PENDING_KEY) ?? 'null') as PendingBooking | null;
      sessionStorage.removeItem(PENDING_KEY);
    } catch {
      pending = null;
    }
    if (pending && pending.slug !== slug) pending = null;
    lastPending.current = pending;
    void confirmReturn(back, pending, me);
  }, [page.data, me, slug, confirmReturn]);

  const buyAndBook = async (pkg: Package) => {
    if (!service || !slot) return;
    setBusy(`buy-${pkg.id}`);
    setError(null);
    try {
      const bought = await api.postOnce<{ purchase: Purchase; checkoutUrl: string | null }>('/me/purchases', { packageId: pkg.id });
      if (bought.checkoutUrl) {
        const pending: PendingBooking = { slug, serviceId: service.id, start: slot.start, end: slot.end, purchaseId: bought.purchase.id };
        sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
        window.location.assign(bought.checkoutUrl);
        return;
      }
      const purchase = await waitUntilPaid(bought.purchase);
      if (purchase.status !== 'paid') throw new Error('The payment did not go through. Nothing was charged; try again.');
      await refreshMe();
      await book(service, slot);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(null);
    }
  };

  if (page.loading && !page.data) return <Loading label="Loading the booking page…" />;
  if (page.error || !page.data) {
    return (
      <main id="main" className="page narrow">
        {page.error instanceof ApiError && page.error.status === 404 ? (
          <>
            <h1 tabIndex={-1}>No booking page here</h1>
            <p>
              There is no practice at <code>/{slug}</code>. Check the link you were given.
            </p>
          </>
        ) : (
          <>
            <h1 tabIndex={-1}>The booking page did not load</h1>
            <ErrorBox error={page.error} />
            <button type="button" className="button" onClick={page.reload}>
              Try again
            </button>
          </>
        )}
      </main>
    );
  }

  const { practice, services, packages } = page.data;
  const sessions = sessionsMode(services);
  const steps: { key: Step; label: string }[] = [
    { key: 'service', label: 'Service' },
    { key: 'time', label: 'Time' },
    ...(me ? [] : [{ key: 'who' as Step, label: 'Email' }]),
    { key: 'confirm', label: 'Confirm' },
  ];
  const stepIndex = steps.findIndex((s) => s.key === step);

  const choose = (svc: Service) => {
    setService(svc);
    setSlot(null);
    setTaken(null);
    setOffer(null);
    setStep('time');
  };
  const pick = (chosen: Slot) => {
    setSlot(chosen);
    setTaken(null);
    setOffer(null);
    setError(null);
    if (me) {
      // The balance may have moved since it was read (another tab, the practitioner): read it again.
      setChecking(true);
      void refreshMe()
        .catch(() => undefined)
        .finally(() => setChecking(false));
    }
    setStep(me ? 'confirm' : 'who');
  };

  const chosenSummary = service && (
    <div className="summary-bar">
      <div>
        <strong>{service.name}</strong> · {durationText(service.durationMinutes)}
        {slot && <div>{formatRange(slot.start, slot.end, timeZone)}</div>}
      </div>
      {step !== 'done' && (
        <button type="button" className="link-button" onClick={() => setStep(slot && step !== 'time' ? 'time' : 'service')}>
          Change<span className="visually-hidden"> {slot && step !== 'time' ? 'time' : 'service'}</span>
        </button>
      )}
    </div>
  );

  return (
    <div className="client-shell">
      <PracticeHeader practice={practice} signedIn={!!me} slug={slug} />
      <main id="main" className="page narrow">
        {payment && (
          <PaymentReturn
            state={payment}
            headingRef={heading}
            onContinue={() => {
              setPayment(null);
              if (step !== 'confirm') setStep('service');
            }}
            onCheckAgain={() => lastReturn.current && void confirmReturn(lastReturn.current, lastPending.current, me ?? null)}
          />
        )}
        {!payment && step !== 'done' && (
          <ol className="steps" aria-label="Booking steps">
            {steps.map((s, i) => (
              <li key={s.key} aria-current={i === stepIndex ? 'step' : undefined} className={i < stepIndex ? 'done' : i === stepIndex ? 'current' : ''}>
                <span className="visually-hidden">Step </span>
                {i + 1}
                <span className="visually-hidden"> of {steps.length}:</span> {s.label}
              </li>
            ))}
          </ol>
        )}

        {!payment && step === 'service' && (
          <section aria-labelledby="step-heading">
            <h1 id="step-heading" ref={heading} tabIndex={-1}>
              Book a session with {practice.name}
            </h1>
            {services.length === 0 ? (
              <p className="empty">{practice.name} has no sessions open for booking yet. Check back soon.</p>
            ) : (
              <ul className="cards">
                {services.map((svc) => (
                  <li key={svc.id}>
                    <button type="button" className="card card-button" onClick={() => choose(svc)}>
                      <span className="card-title">{svc.name}</span>
                      <span className="card-meta">
                        {durationText(svc.durationMinutes)} · {svc.creditCost === 0 ? 'free' : credits(svc.creditCost)}
                        {svc.price && <> · or {formatMoney(svc.price)} alone</>}
                      </span>
                      {svc.description && <span className="card-text">{svc.description}</span>}
                    </button>
                  </li>
                ))}
              </ul>
            )}
            {packages.length > 0 && (
              <section aria-labelledby="packages-heading" className="section">
                <h2 id="packages-heading">Packages</h2>
                <p className="hint">Buy a package while you book, or from your sessions page. Each session then uses a credit.</p>
                <ul className="plain-list">
                  {packages.map((pkg) => (
                    <li key={pkg.id} className="package-line">
                      <strong>{pkg.name}</strong> — {packageLine(pkg, sessions)}
                    </li>
                  ))}
                </ul>
              </section>
            )}
            <p className="policy">{policySentence(practice.policy)}</p>
          </section>
        )}

        {!payment && step === 'time' && service && (
          <section aria-labelledby="step-heading">
            <h1 id="step-heading" ref={heading} tabIndex={-1}>
              Pick a time
            </h1>
            {chosenSummary}
            <SlotPicker
              slug={slug}
              service={service}
              practiceTimeZone={practice.timeZone}
              timeZone={timeZone}
              onTimeZoneChange={setTimeZone}
              onPick={pick}
              takenStart={taken}
              refreshKey={refreshKey}
            />
          </section>
        )}

        {!payment && step === 'who' && service && slot && (
          <section aria-labelledby="step-heading">
            <h1 id="step-heading" ref={heading} tabIndex={-1}>
              Your email
            </h1>
            {chosenSummary}
            <ClientSignIn
              slug={slug}
              practiceName={practice.name}
              onSignedIn={() => {
                void refreshMe().then(() => setStep('confirm'));
              }}
            />
          </section>
        )}

        {!payment && step === 'confirm' && service && slot && (
          <section aria-labelledby="step-heading">
            <h1 id="step-heading" ref={heading} tabIndex={-1}>
              Confirm your booking
            </h1>
            {chosenSummary}
            {me === undefined || checking ? (
              <Loading label="Checking your credits…" />
            ) : me === null ? (
              <ClientSignIn slug={slug} practiceName={practice.name} onSignedIn={() => void refreshMe()} />
            ) : (
              <Confirm
                me={me}
                service={service}
                slot={slot}
                timeZone={timeZone}
                packages={packages}
                sessions={sessions}
                offer={offer}
                busy={busy}
                error={error}
                onBook={() => void book(service, slot)}
                onPaySingle={() => void book(service, slot, 'single')}
                onBuy={(pkg) => void buyAndBook(pkg)}
                practiceName={practice.name}
                onSignOut={async () => {
                  await api.post('/me/logout').catch(() => undefined);
                  rememberClientSlug(null);
                  setMe(null);
                  setStep('who');
                }}
              />
            )}
          </section>
        )}

        {step === 'done' && result && service && (
          <Done
            result={result}
            service={service}
            timeZone={timeZone}
            slug={slug}
            practiceName={practice.name}
            sessions={sessions}
            headingRef={heading}
            onAnother={() => {
              setResult(null);
              setSlot(null);
              setService(null);
              setStep('service');
            }}
          />
        )}
      </main>
    </div>
  );
}

function Confirm({
  me,
  service,
  slot,
  timeZone,
  packages,
  sessions,
  offer,
  busy,
  error,
  onBook,
  onPaySingle,
  onBuy,
  practiceName,
  onSignOut,
}: {
  me: Me;
  service: Service;
  slot: Slot;
  timeZone: string;
  packages: Package[];
  sessions: boolean;
  offer: Offer | null;
  busy: string | null;
  error: unknown;
  onBook: () => void;
  onPaySingle: () => void;
  onBuy: (pkg: Package) => void;
  practiceName: string;
  onSignOut: () => void;
}) {
  const coverage = me.coverage.find((c) => c.serviceId === service.id)?.available ?? 0;
  const covered = !offer && coverage >= service.creditCost;
  const policy = <p className="policy">{policySentence(service.effectivePolicy)}</p>;
  const offered = offer ? offer.packages : packagesCovering(packages, service.id);
  const single = offer ? offer.singleSessionPrice : service.price;
  const offerHeading = useFocusOnMount<HTMLHeadingElement>(!!offer);

  return (
    <div className="stack">
      <p className="signed-in-as">
        Signed in as {me.client.email}.{' '}
        <button type="button" className="link-button" onClick={onSignOut}>
          Not you?
        </button>
      </p>
      {covered ? (
        <div className="confirm-box">
          <p className="confirm-line">
            <strong>{formatRange(slot.start, slot.end, timeZone)}</strong> ·{' '}
            {service.creditCost === 0 ? (
              'Free — no credit needed'
            ) : (
              <>
                Uses {credits(service.creditCost)} · {plural(coverage - service.creditCost, sessions ? 'session' : 'credit')} left after this
              </>
            )}
          </p>
          <div className="confirm-actions">
            <button type="button" className="button button-primary button-large" onClick={onBook} disabled={busy !== null}>
              {busy === 'book' ? 'Booking…' : 'Book'}
            </button>
            {policy}
          </div>
        </div>
      ) : (
        <div className="confirm-box">
          <h2 ref={offerHeading} tabIndex={-1} className="offer-heading">
            {me.credits.available === 0 ? 'You have no credits left for this session' : 'Your credits don’t cover this session'}
          </h2>
          <p>
            <strong>{formatRange(slot.start, slot.end, timeZone)}</strong> — buy a package and this time is booked straight away.
          </p>
          {offered.length === 0 ? (
            <p className="empty">{practiceName} has no package for this session online. Contact them to arrange payment.</p>
          ) : (
            <ul className="cards">
              {offered.map((pkg) => (
                <li key={pkg.id} className="card offer-card">
                  <span className="card-title">{pkg.name}</span>
                  <span className="card-meta">{packageLine(pkg, sessions)}</span>
                  <button type="button" className="button button-primary" onClick={() => onBuy(pkg)} disabled={busy !== null}>
                    {busy === `buy-${pkg.id}` ? 'Paying…' : busy === 'book' ? 'Booking…' : 'Buy and book'}
                    <span className="visually-hidden"> — {pkg.name}</span>
                  </button>
                </li>
              ))}
            </ul>
          )}
          {single && (
            <p className="single-price">
              or pay {formatMoney(single)} for this session alone{' '}
              <button type="button" className="button" onClick={onPaySingle} disabled={busy !== null}>
                {busy === 'single' ? 'Paying…' : `Pay ${formatMoney(single)} and book`}
              </button>
            </p>
          )}
          {policy}
        </div>
      )}
      <ErrorBox error={error} />
    </div>
  );
}

function Done({
  result,
  service,
  timeZone,
  slug,
  practiceName,
  sessions,
  headingRef,
  onAnother,
}: {
  result: { booking: Booking; credits: Credits };
  service: Service;
  timeZone: string;
  slug: string;
  practiceName: string;
  sessions: boolean;
  headingRef: RefObject<HTMLHeadingElement | null>;
  onAnother: () => void;
}) {
  const { booking } = result;
  const addToCalendar = () => {
    const portal = `${window.location.origin}/${slug}/me`;
    downloadFile(
      `${slug}-${booking.start.slice(0, 10)}.ics`,
      'text/calendar',
      bookingIcs({
        id: booking.id,
        start: booking.start,
        end: booking.end,
        summary: `${service.name} with ${practiceName}`,
        description: `Your session with ${practiceName}. See or change it: ${portal}`,
        url: portal,
        host: window.location.hostname,
      }),
    );
  };
  return (
    <section aria-labelledby="done-heading" className="stack">
      <h1 id="done-heading" ref={headingRef} tabIndex={-1}>
        You’re booked
      </h1>
      <Notice kind="success">
        <strong>{booking.serviceName}</strong> · {formatRange(booking.start, booking.end, timeZone)}
      </Notice>
      <p className="balance-line">
        <strong>{plural(result.credits.available, sessions ? 'session' : 'credit')} left</strong> · {result.credits.held} scheduled
      </p>
      <p>We’ve emailed you the details with a calendar invite.</p>
      <div className="row wrap">
        <button type="button" className="button" onClick={addToCalendar}>
          Add to calendar
        </button>
        <Link to={`/${slug}/me`} className="button">
          See your sessions
        </Link>
        <button type="button" className="link-button" onClick={onAnother}>
          Book another session
        </button>
      </div>
    </section>
  );
}

function PaymentReturn({ state, headingRef, onContinue, onCheckAgain }: { state: PaymentState; headingRef: RefObject<HTMLHeadingElement | null>; onContinue: () => void; onCheckAgain: () => void }) {
  const title = { confirming: 'Confirming your payment…', paid: 'Payment received', failed: 'The payment did not go through', abandoned: 'Payment cancelled', slow: 'Still confirming your payment' }[state.kind];
  return (
    <section aria-labelledby="payment-heading" className="stack" data-testid="payment-return">
      <h1 id="payment-heading" ref={headingRef} tabIndex={-1}>
        {title}
      </h1>
      {state.kind === 'confirming' && <Loading label="Waiting for the payment to be confirmed. This usually takes a few seconds." />}
      {state.kind === 'paid' && <Notice kind="success">{state.text}</Notice>}
      {state.kind === 'failed' && <p className="notice notice-warning">{state.text}</p>}
      {state.kind === 'abandoned' && <p>You left the payment page, so nothing was charged. You can pay now, or choose another way.</p>}
      {state.kind === 'slow' && (
        <p>Stripe has not confirmed the payment yet. It usually takes a few seconds; your receipt is emailed as soon as it does, and your credits appear on your sessions page.</p>
      )}
      {state.kind !== 'confirming' && (
        <div className="row wrap">
          {state.kind === 'slow' && (
            <button type="button" className="button button-primary" onClick={onCheckAgain}>
              Check again
            </button>
          )}
          <button type="button" className={state.kind === 'slow' ? 'button' : 'button button-primary'} onClick={onContinue}>
            {state.kind === 'abandoned' ? 'Continue' : 'Book a session'}
          </button>
        </div>
      )}
    </section>
  );
}
