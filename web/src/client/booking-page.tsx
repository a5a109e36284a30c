import { useCallback, useEffect, useRef, useState, type RefObject } from 'react';
import { api, ApiError, type Booking, type Credits, type Me, type Money, type Package, type PublicPage, type Purchase, type Service, type Slot } from '../api';
import { SlotPicker } from '../calendar';
import { credits, detectTimeZone, durationText, formatMoney, formatRange, packageLine, plural, policySentence, sessionsMode } from '../format';
import { bookingIcs, downloadFile } from '../ics';
import { Link, useTitle } from '../router';
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

async function waitUntilPaid(purchase: Purchase): Promise<Purchase> {
  let current = purchase;
  for (let i = 0; i < 20 && current.status === 'pending'; i++) {
    await new Promise((r) => setTimeout(r, 1500));
    current = await api.get<Purchase>(`/me/purchases/${encodeURIComponent(current.id)}`);
  }
  return current;
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
        const booked = await api.postOnce<{ booking: Booking; credits: Credits }>('/me/bookings', body);
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

  // Back from a payment page: finish the purchase, then the booking.
  useEffect(() => {
    if (!page.data || me === undefined) return;
    let pending: PendingBooking | null = null;
    try {
      pending = JSON.parse(sessionStorage.getItem(PENDING_KEY) ?? 'null') as PendingBooking | null;
    } catch {
      pending = null;
    }
    if (!pending || pending.slug !== slug || !me) return;
    sessionStorage.removeItem(PENDING_KEY);
    const svc = page.data.services.find((s) => s.id === pending.serviceId);
    if (!svc) return;
    const chosen = { start: pending.start, end: pending.end, remaining: 1 };
    setService(svc);
    setSlot(chosen);
    setStep('confirm');
    setBusy('buy');
    api
      .get<Purchase>(`/me/purchases/${encodeURIComponent(pending.purchaseId)}`)
      .then(waitUntilPaid)
      .then((purchase) => {
        setBusy(null);
        if (purchase.status === 'paid') return book(svc, chosen);
        setError(new Error('The payment has not come through yet. Refresh this page in a minute, or pick a package again.'));
      })
      .catch((e: unknown) => {
        setBusy(null);
        setError(e);
      });
  }, [page.data, me, slug, book]);

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
        {step !== 'done' && (
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

        {step === 'service' && (
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

        {step === 'time' && service && (
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

        {step === 'who' && service && slot && (
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

        {step === 'confirm' && service && slot && (
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
