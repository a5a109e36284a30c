import { useCallback, useEffect, useState } from 'react';
import { api, ApiError, errorMessage, getAll, type Booking, type Cancellation, type Fee, type Me, type Package, type PublicPage, type Purchase, type Service } from '../api';
import { SlotPicker, TimeZonePicker, usePickedSlot } from '../calendar';
import { formatDate, formatDay, formatMoney, formatRange, formatTime, packageLine, plural, policySentence, sessionsMode, windowText } from '../format';
import { Link, navigate, useLocation, useTitle } from '../router';
import { Dialog, Empty, ErrorBox, Loading, Notice, useAction, useFocusOnMount, useLoad } from '../ui';
import { useViewerTimeZone } from './booking-page';
import { PracticeHeader } from './practice-header';
import { ClientSignIn, loadMe, rememberClientSlug } from './sign-in';

/** "Tue 14:00" within the coming week, else "Tue 3 March, 14:00". */
export function formatWhen(instant: string, timeZone: string): string {
  const days = (Date.parse(instant) - Date.now()) / 86_400_000;
  const weekday = new Intl.DateTimeFormat('en-GB', { weekday: 'short', timeZone }).format(new Date(instant));
  return days > -6 && days < 6 ? `${weekday} ${formatTime(instant, timeZone)}` : `${formatDay(instant, timeZone)}, ${formatTime(instant, timeZone)}`;
}

/** The last day a lot pays for, in the practice's calendar (expiresAt is the end of that day). */
export function expiryDate(expiresAt: string, timeZone: string): string {
  return formatDate(new Date(Date.parse(expiresAt) - 1), timeZone);
}

export function isUpcoming(booking: Booking, now = Date.now()): boolean {
  return (booking.status === 'confirmed' || booking.status === 'pending_payment') && Date.parse(booking.end) > now;
}

export function pastOutcome(booking: Booking, fees: Fee[]): string {
  const fee = fees.find((f) => f.bookingId === booking.id);
  const credit = booking.payment.kind === 'credits' ? (booking.payment.credits === 1 ? 'credit' : 'credits') : null;
  if (booking.waived && (booking.status === 'late_cancelled' || booking.status === 'no_show')) {
    const what = booking.status === 'no_show' ? 'Missed' : 'Late cancel';
    return `${what} — waived${booking.waivedBy ? ` by ${booking.waivedBy}` : ''}${credit ? `, ${credit} returned` : ''}`;
  }
  switch (booking.status) {
    case 'completed':
      return 'Attended';
    case 'confirmed':
      return 'Took place';
    case 'cancelled':
      return credit ? `Cancelled — ${credit} returned` : 'Cancelled';
    case 'late_cancelled':
      if (fee) return `Late cancel — ${formatMoney(fee.amount)} fee${fee.status === 'waived' ? ' (waived)' : fee.status === 'paid' ? ' (paid)' : ''}`;
      return credit ? `Late cancel — ${credit} used` : 'Late cancel';
    case 'no_show':
      if (fee) return `Missed — ${formatMoney(fee.amount)} fee${fee.status === 'waived' ? ' (waived)' : fee.status === 'paid' ? ' (paid)' : ''}`;
      return credit ? `Missed — ${credit} used` : 'Missed';
    case 'pending_payment':
      return 'Waiting for payment';
    default:
      return booking.status;
  }
}

export function BalanceSummary({ me, sessions, timeZone }: { me: Me; sessions: boolean; timeZone: string }) {
  const { available, held, used } = me.credits;
  const expiring = me.lots.filter((l) => l.available > 0 && l.expiresAt).sort((a, b) => Date.parse(a.expiresAt!) - Date.parse(b.expiresAt!))[0];
  const total = available + held + used;
  const pct = (n: number) => (total === 0 ? 0 : (n / total) * 100);
  return (
    <div className="balance">
      <p className="balance-line" data-testid="balance">
        <strong className="balance-main">{plural(available, sessions ? 'session' : 'credit')} left</strong> · {held} scheduled · {used} used
        {expiring && (
          <>
            {' '}
            · {expiring.available} {expiring.available === 1 ? 'expires' : 'expire'} on {expiryDate(expiring.expiresAt!, timeZone)}
          </>
        )}
      </p>
      {total > 0 && (
        <div className="balance-bar" aria-hidden="true">
          <span className="bar-available" style={{ width: `${pct(available)}%` }} />
          <span className="bar-held" style={{ width: `${pct(held)}%` }} />
          <span className="bar-used" style={{ width: `${pct(used)}%` }} />
        </div>
      )}
      {total > 0 && (
        <p className="bar-legend" aria-hidden="true">
          <span className="key key-available" /> left <span className="key key-held" /> scheduled <span className="key key-used" /> used
        </p>
      )}
    </div>
  );
}

export function Portal({ slug }: { slug: string }) {
  const page = useLoad(() => api.get<PublicPage>(`/public/${encodeURIComponent(slug)}`), [slug]);
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  const [bookings, setBookings] = useState<Booking[] | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [timeZone, setTimeZone] = useViewerTimeZone();
  const [cancelling, setCancelling] = useState<Booking | null>(null);
  const [moving, setMoving] = useState<Booking | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const { search } = useLocation();
  // From the fee mail (?fee=ID), or back from paying it on Stripe (?checkout=success|cancelled&fee=ID).
  const [focusFee] = useState(() => search.get('fee'));
  const [feeReturn] = useState(() => (search.get('checkout') && search.get('fee') ? { outcome: search.get('checkout')!, feeId: search.get('fee')! } : null));
  const [confirmingFee, setConfirmingFee] = useState(feeReturn?.outcome === 'success');
  useTitle(page.data ? `Your sessions with ${page.data.practice.name}` : 'Your sessions');

  const refresh = useCallback(async () => {
    if (!page.data) return;
    try {
      const next = await loadMe(slug, page.data.services.map((s) => s.id));
      setMe(next);
      setBookings(next ? await getAll<Booking>('/me/bookings', 4) : null);
      setLoadError(null);
    } catch (e) {
      setLoadError(e);
    }
  }, [page.data, slug]);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  useEffect(() => {
    if (!feeReturn || !page.data) return;
    navigate(`/${slug}/me`, { replace: true });
    if (feeReturn.outcome !== 'success') {
      setMessage('You left the payment page, so nothing was charged.');
      return;
    }
    let live = true;
    void (async () => {
      for (let i = 0; i < 40 && live; i++) {
        const next = await loadMe(slug, page.data!.services.map((s) => s.id)).catch(() => null);
        const fee = next?.fees.find((f) => f.id === feeReturn.feeId);
        if (!fee || fee.status !== 'owed') {
          if (!live) return;
          setConfirmingFee(false);
          setMessage(fee?.status === 'paid' ? `Thank you — the ${formatMoney(fee.amount)} fee is paid.` : 'The fee is settled.');
          void refresh();
          return;
        }
        await new Promise((r) => setTimeout(r, 1500));
      }
      if (live) {
        setConfirmingFee(false);
        setMessage('Stripe has not confirmed the payment yet; your receipt is emailed as soon as it does.');
      }
    })();
    return () => {
      live = false;
    };
  }, [feeReturn, page.data, slug, refresh]);

  // Back from a payment page with a booking to finish: the booking page does that.
  useEffect(() => {
    try {
      const pending = JSON.parse(sessionStorage.getItem('tallybook.pendingBooking') ?? 'null') as { slug?: string } | null;
      if (pending?.slug === slug) navigate(`/${slug}`, { replace: true });
    } catch {
      // nothing pending
    }
  }, [slug]);

  if (page.loading && !page.data) return <Loading label="Loading your sessions…" />;
  if (page.error || !page.data) {
    return (
      <main id="main" className="page narrow">
        <h1 tabIndex={-1}>{page.error instanceof ApiError && page.error.status === 404 ? 'No practice here' : 'This page did not load'}</h1>
        <ErrorBox error={page.error} />
      </main>
    );
  }
  const { practice, services, packages } = page.data;
  const sessions = sessionsMode(services);
  const signOut = async () => {
    await api.post('/me/logout').catch(() => undefined);
    rememberClientSlug(null);
    setMe(null);
    setBookings(null);
  };

  const now = Date.now();
  const upcoming = (bookings ?? []).filter((b) => isUpcoming(b, now)).sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
  const past = (bookings ?? []).filter((b) => !isUpcoming(b, now)).sort((a, b) => Date.parse(b.start) - Date.parse(a.start));
  const serviceOf = (b: Booking): Service | undefined => services.find((s) => s.id === b.serviceId);

  return (
    <div className="client-shell">
      <PracticeHeader practice={practice} slug={slug} signedIn={!!me} onPortal onSignOut={() => void signOut()} />
      <main id="main" className="page narrow">
        <h1 tabIndex={-1}>Your sessions</h1>
        {me === undefined && !loadError && <Loading />}
        {loadError !== null && (
          <>
            <ErrorBox error={loadError} />
            <button type="button" className="button" onClick={() => void refresh()}>
              Try again
            </button>
          </>
        )}
        {me === null && (
          <section className="card-section" aria-labelledby="signin-heading">
            <h2 id="signin-heading">Sign in</h2>
            <ClientSignIn slug={slug} practiceName={practice.name} onSignedIn={() => void refresh()} intro={`Enter the email you book with. We will send you a code to see your sessions and credits with ${practice.name}.`} />
          </section>
        )}
        {me && (
          <>
            <p className="signed-in-as">Signed in as {me.client.email}</p>
            {confirmingFee && <Loading label="Confirming your payment…" />}
            {message && <Notice kind="success">{message}</Notice>}
            <section aria-labelledby="balance-heading" className="card-section">
              <h2 id="balance-heading">Your balance</h2>
              <BalanceSummary me={me} sessions={sessions} timeZone={practice.timeZone} />
              {me.fees
                .filter((f) => f.status === 'owed')
                .map((f) => (
                  <OwedFee
                    key={f.id}
                    fee={f}
                    highlighted={focusFee === f.id}
                    onPaid={(text) => {
                      setMessage(text);
                      void refresh();
                    }}
                  />
                ))}
            </section>

            <section aria-labelledby="upcoming-heading" className="section">
              <div className="section-head">
                <h2 id="upcoming-heading">Upcoming</h2>
                <Link className="button button-primary" to={`/${slug}`}>
                  Book a session
                </Link>
              </div>
              <p className="hint">{policySentence(practice.policy)}</p>
              <TimeZonePicker value={timeZone} onChange={setTimeZone} />
              {bookings === null ? (
                <Loading />
              ) : upcoming.length === 0 ? (
                <Empty>No upcoming sessions.</Empty>
              ) : (
                <ul className="booking-list">
                  {upcoming.map((b) => {
                    const svc = serviceOf(b);
                    const canMove = svc?.effectivePolicy.clientReschedule ?? false;
                    return (
                      <li key={b.id} className="booking-item">
                        <div>
                          <p className="booking-when">{formatRange(b.start, b.end, timeZone)}</p>
                          <p className="booking-what">
                            {b.serviceName}
                            {b.payment.kind === 'credits' && <> · {plural(b.payment.credits, 'credit')}</>}
                          </p>
                          {svc && policySentence(svc.effectivePolicy) !== policySentence(practice.policy) && <p className="hint">{policySentence(svc.effectivePolicy)}</p>}
                        </div>
                        <div className="row">
                          {canMove && (
                            <button type="button" className="button" onClick={() => setMoving(b)} aria-label={`Reschedule ${formatRange(b.start, b.end, timeZone)}`}>
                              Reschedule
                            </button>
                          )}
                          <button type="button" className="button button-danger-outline" onClick={() => setCancelling(b)} aria-label={`Cancel ${formatRange(b.start, b.end, timeZone)}`}>
                            Cancel
                          </button>
                        </div>
                      </li>
                    );
                  })}
                </ul>
              )}
            </section>

            <section aria-labelledby="past-heading" className="section">
              <h2 id="past-heading">Past</h2>
              {bookings === null ? (
                <Loading />
              ) : past.length === 0 ? (
                <Empty>No past sessions yet.</Empty>
              ) : (
                <ul className="booking-list">
                  {past.map((b) => (
                    <li key={b.id} className="booking-item past">
                      <div>
                        <p className="booking-when">{formatRange(b.start, b.end, timeZone)}</p>
                        <p className="booking-what">{b.serviceName}</p>
                      </div>
                      <p className={`outcome outcome-${b.status}`}>{pastOutcome(b, me.fees)}</p>
                    </li>
                  ))}
                </ul>
              )}
            </section>

            <BuyMore packages={packages} sessions={sessions} onBought={(text) => {
              setMessage(text);
              void refresh();
            }} />
          </>
        )}
      </main>
      <CancelDialog
        booking={cancelling}
        timeZone={timeZone}
        windowHours={cancelling ? (serviceOf(cancelling)?.effectivePolicy.windowHours ?? practice.policy.windowHours) : 24}
        onClose={() => setCancelling(null)}
        onDone={() => void refresh()}
      />
      {moving && (
        <RescheduleDialog
          booking={moving}
          service={serviceOf(moving)!}
          slug={slug}
          practiceTimeZone={practice.timeZone}
          timeZone={timeZone}
          practiceName={practice.name}
          onClose={() => setMoving(null)}
          onDone={(b) => {
            setMoving(null);
            setMessage(`Moved to ${formatRange(b.start, b.end, timeZone)}.`);
            void refresh();
          }}
        />
      )}
    </div>
  );
}

function outcomeQuestion(preview: Cancellation, booking: Booking, timeZone: string, windowHours: number): { lead: string; detail?: string; warn: boolean } {
  const when = formatWhen(booking.start, timeZone);
  const deadline = formatWhen(preview.deadline, timeZone);
  const credit = plural(preview.credits, 'credit');
  switch (preview.outcome) {
    case 'release':
      return { lead: `Cancel ${when}? You’ll get your ${preview.credits === 1 ? 'credit' : credit} back.`, warn: false };
    case 'forfeit':
      return {
        lead: `Cancelling now forfeits ${credit} — the deadline was ${deadline}.`,
        detail: `It’s less than ${windowText(windowHours).replace(' before', '')} before the session: cancelling now uses your ${preview.credits === 1 ? 'credit' : 'credits'}.`,
        warn: true,
      };
    case 'fee':
      return {
        lead: `Cancelling now costs a ${preview.fee ? formatMoney(preview.fee) : ''} fee — the deadline was ${deadline}.`.replace('a  fee', 'a fee'),
        detail: preview.credits > 0 ? `You’ll get your ${preview.credits === 1 ? 'credit' : credit} back.` : undefined,
        warn: true,
      };
    default:
      return { lead: `Cancel ${when}?`, detail: 'Nothing was paid in credits, so there is nothing to give back.', warn: false };
  }
}

function outcomeResult(outcome: Cancellation): string {
  const credit = plural(outcome.credits, 'credit');
  switch (outcome.outcome) {
    case 'release':
      return `Cancelled. ${credit} ${outcome.credits === 1 ? 'is' : 'are'} back in your balance.`;
    case 'forfeit':
      return `Cancelled. ${credit} ${outcome.credits === 1 ? 'was' : 'were'} used, as the policy says.`;
    case 'fee':
      return `Cancelled. A ${outcome.fee ? formatMoney(outcome.fee) : ''} fee is owed${outcome.credits > 0 ? `, and ${credit} came back` : ''}.`.replace('A  fee', 'A fee');
    default:
      return 'Cancelled.';
  }
}

function CancelDialog({ booking, timeZone, windowHours, onClose, onDone }: { booking: Booking | null; timeZone: string; windowHours: number; onClose: () => void; onDone: () => void }) {
  const [preview, setPreview] = useState<Cancellation | null>(null);
  const { busy, error, setError, run } = useAction();
  const [done, setDone] = useState<Cancellation | null>(null);

  useEffect(() => {
    setPreview(null);
    setError(null);
    setDone(null);
    if (!booking) return;
    api.get<Cancellation>(`/me/bookings/${encodeURIComponent(booking.id)}/cancellation`).then(setPreview, setError);
  }, [booking]);

  const confirm = async () => {
    if (!booking) return;
    await run(async () => {
      const result = await api.postOnce<{ booking: Booking; outcome: Cancellation }>(`/me/bookings/${encodeURIComponent(booking.id)}/cancel`, {});
      setDone(result.outcome);
      onDone();
    });
  };

  const question = preview && booking ? outcomeQuestion(preview, booking, timeZone, windowHours) : null;
  return (
    <Dialog open={booking !== null} onClose={onClose} title={done ? 'Session cancelled' : 'Cancel this session?'}>
      {booking && <p className="booking-when">{formatRange(booking.start, booking.end, timeZone)} · {booking.serviceName}</p>}
      {done ? (
        <>
          <p role="status">{outcomeResult(done)}</p>
          <div className="dialog-actions">
            <button type="button" className="button button-primary" onClick={onClose} autoFocus>
              Done
            </button>
          </div>
        </>
      ) : (
        <>
          {!preview && !error && <Loading label="Checking the cancellation policy…" />}
          {question && (
            <div className={question.warn ? 'notice notice-warning' : 'notice'} data-testid="cancel-outcome">
              <p>
                <strong>{question.lead}</strong>
              </p>
              {question.detail && <p>{question.detail}</p>}
            </div>
          )}
          {error !== null && (
            <ErrorBox>
              {error instanceof ApiError && error.code === 'booking_not_cancellable' ? 'This session can no longer be cancelled: it has started, ended or was already cancelled.' : errorMessage(error)}
            </ErrorBox>
          )}
          <div className="dialog-actions">
            <button type="button" className="button" onClick={onClose} autoFocus>
              Keep it
            </button>
            <button type="button" className="button button-danger" onClick={() => void confirm()} disabled={!preview || busy}>
              {busy ? 'Cancelling…' : question?.warn ? 'Cancel anyway' : 'Cancel session'}
            </button>
          </div>
        </>
      )}
    </Dialog>
  );
}

function RescheduleDialog({
  booking,
  service,
  slug,
  practiceTimeZone,
  timeZone,
  practiceName,
  onClose,
  onDone,
}: {
  booking: Booking;
  service: Service;
  slug: string;
  practiceTimeZone: string;
  timeZone: string;
  practiceName: string;
  onClose: () => void;
  onDone: (booking: Booking) => void;
}) {
  const { slot, setSlot, taken, refreshKey, slotTaken } = usePickedSlot();
  const { busy, error, setError, run } = useAction();
  const move = async () => {
    if (!slot) return;
    await run(
      async () => {
        const result = await api.postOnce<{ booking: Booking }>(`/me/bookings/${encodeURIComponent(booking.id)}/reschedule`, { start: slot.start });
        onDone(result.booking);
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
    <Dialog open onClose={onClose} title="Move this session" wide>
      <p>
        Now: <strong>{formatRange(booking.start, booking.end, timeZone)}</strong> · {booking.serviceName}
      </p>
      {!slot ? (
        <SlotPicker slug={slug} service={service} practiceTimeZone={practiceTimeZone} timeZone={timeZone} onPick={setSlot} takenStart={taken} refreshKey={refreshKey} exclude={booking.start} />
      ) : (
        <>
          <p className="confirm-line">
            Move to <strong>{formatRange(slot.start, slot.end, timeZone)}</strong>? Your credit stays with the session.
          </p>
          {error !== null && (
            <ErrorBox>
              {error instanceof ApiError && error.code === 'booking_not_reschedulable'
                ? `This session can’t be moved online any more. Contact ${practiceName} to change it.`
                : error instanceof ApiError && error.code === 'credits_exhausted'
                  ? 'Your credits would have expired by the new time. Pick an earlier time, or buy a package first.'
                  : errorMessage(error)}
            </ErrorBox>
          )}
          <div className="dialog-actions">
            <button type="button" className="button" onClick={() => setSlot(null)}>
              Pick another time
            </button>
            <button type="button" className="button button-primary" onClick={() => void move()} disabled={busy}>
              {busy ? 'Moving…' : 'Move session'}
            </button>
          </div>
        </>
      )}
    </Dialog>
  );
}

function BuyMore({ packages, sessions, onBought }: { packages: Package[]; sessions: boolean; onBought: (message: string) => void }) {
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const buy = async (pkg: Package) => {
    setBusy(pkg.id);
    setError(null);
    try {
      const bought = await api.postOnce<{ purchase: Purchase; checkoutUrl: string | null }>('/me/purchases', { packageId: pkg.id });
      if (bought.checkoutUrl) {
        window.location.assign(bought.checkoutUrl);
        return;
      }
      onBought(bought.purchase.status === 'paid' ? `Thank you — ${pkg.name} is yours: ${plural(pkg.credits, sessions ? 'session' : 'credit')} added.` : 'Thank you — your credits appear as soon as the payment comes through.');
    } catch (e) {
      setError(e);
    } finally {
      setBusy(null);
    }
  };
  return (
    <section aria-labelledby="buy-heading" className="section">
      <h2 id="buy-heading">Buy more</h2>
      {packages.length === 0 ? (
        <Empty>No packages are on sale right now.</Empty>
      ) : (
        <ul className="cards">
          {packages.map((pkg) => (
            <li key={pkg.id} className="card offer-card">
              <span className="card-title">{pkg.name}</span>
              <span className="card-meta">{packageLine(pkg, sessions)}</span>
              <button type="button" className="button button-primary" onClick={() => void buy(pkg)} disabled={busy !== null} aria-label={`Buy ${pkg.name}`}>
                {busy === pkg.id ? 'Paying…' : 'Buy'}
              </button>
            </li>
          ))}
        </ul>
      )}
      <ErrorBox error={error} />
    </section>
  );
}

/** A fee owed, with a button to pay it online (Stripe Checkout, or at once with test payments). */
function OwedFee({ fee, highlighted, onPaid }: { fee: Fee; highlighted: boolean; onPaid: (message: string) => void }) {
  const { busy, error, run } = useAction();
  const button = useFocusOnMount<HTMLButtonElement>(highlighted);
  const pay = () =>
    run(
      async () => {
        const result = await api.post<{ checkoutUrl: string | null }>(`/me/fees/${encodeURIComponent(fee.id)}/pay`, {}, { idempotencyKey: `pay-fee-${fee.id}` });
        if (result.checkoutUrl) {
          window.location.assign(result.checkoutUrl);
          return;
        }
        onPaid(`Thank you — the ${formatMoney(fee.amount)} fee is paid.`);
      },
      { keepBusy: true },
    );
  return (
    <div className={`notice notice-warning${highlighted ? ' highlighted' : ''}`} data-testid="owed-fee">
      <p className="fee-line">
        <span>You owe a {formatMoney(fee.amount)} fee for a late cancellation or missed session.</span>
        <button ref={button} type="button" className="button button-primary" onClick={() => void pay()} disabled={busy}>
          {busy ? 'Opening the payment…' : `Pay ${formatMoney(fee.amount)}`}
        </button>
      </p>
      {error !== null && <ErrorBox>{error instanceof ApiError && error.code === 'payments_not_configured' ? 'Online payment is not available; your practitioner will tell you how to pay.' : errorMessage(error)}</ErrorBox>}
    </div>
  );
}
