import { useEffect, useRef, useState, type FormEvent } from 'react';
import { api, getAll, type Availability, type Package, type Practice, type Service } from '../api';
import { allTimeZones } from '../format';
import { Link, useTitle } from '../router';
import { BookingLink, ErrorBox, Loading, SelectField, SkipLink, useAction } from '../ui';
import { useAccount } from './account';
import { PackageForm, ServiceForm, WeeklyEditor, weeklyFrom, weeklyProblems, weeklyTo, type Weekly } from './catalog-forms';

type Step = 'zone' | 'service' | 'hours' | 'package' | 'done';
const STEPS: { key: Step; label: string }[] = [
  { key: 'zone', label: 'Time zone' },
  { key: 'service', label: 'First service' },
  { key: 'hours', label: 'Weekly hours' },
  { key: 'package', label: 'First package' },
  { key: 'done', label: 'Your link' },
];

const DEFAULT_WEEK: Weekly = [0, 1, 2, 3, 4, 5, 6].map((i) => (i < 5 ? [{ start: '09:00', end: '17:00' }] : []));

/** First run: time zone → first service → weekly hours → first package → the booking link. */
export function Setup() {
  const { account, reload } = useAccount();
  const [step, setStep] = useState<Step | null>(null);
  const [practice, setPractice] = useState<Practice>(account.practice);
  const [services, setServices] = useState<Service[]>([]);
  const [availability, setAvailability] = useState<Availability>({ weekly: [], overrides: [] });
  const [week, setWeek] = useState<Weekly>(DEFAULT_WEEK);
  const { busy, error, setError, run } = useAction();
  const heading = useRef<HTMLHeadingElement>(null);
  useTitle('Set up your practice');

  // Resume where a newcomer left off.
  useEffect(() => {
    Promise.all([getAll<Service>('/services', 2), api.get<Availability>('/availability'), getAll<Package>('/packages', 2)]).then(
      ([svcs, avail, pkgs]) => {
        setServices(svcs);
        setAvailability(avail);
        if (avail.weekly.length) setWeek(weeklyFrom(avail));
        setStep(svcs.length === 0 ? 'zone' : avail.weekly.length === 0 ? 'hours' : pkgs.length === 0 ? 'package' : 'done');
      },
      (e: unknown) => {
        setError(e);
        setStep('zone');
      },
    );
  }, []);

  useEffect(() => {
    heading.current?.focus();
  }, [step]);

  if (!step) return <Loading />;
  const index = STEPS.findIndex((s) => s.key === step);

  const saveZone = async (event: FormEvent) => {
    event.preventDefault();
    await run(async () => {
      if (practice.timeZone !== account.practice.timeZone) setPractice(await api.patch<Practice>('/practice', { timeZone: practice.timeZone }));
      setStep('service');
    });
  };

  const saveHours = async (event: FormEvent) => {
    event.preventDefault();
    const problems = weeklyProblems(week);
    if (problems.length) {
      setError(new Error(problems.join(' ')));
      return;
    }
    await run(async () => {
      setAvailability(await api.put<Availability>('/availability', { weekly: weeklyTo(week), overrides: availability.overrides }));
      setStep('package');
    });
  };

  const titles: Record<Step, string> = {
    zone: 'Where do you work from?',
    service: 'What do clients book?',
    hours: 'When can clients book?',
    package: 'Sell sessions in a package',
    done: 'Your booking page is ready',
  };

  return (
    <div className="auth-shell">
      <SkipLink />
      <header className="brand-bar">
        <span className="brand">Tallybook</span>
        <span className="brand-sub">{practice.name}</span>
      </header>
      <main id="main" className="page narrow">
        <ol className="steps" aria-label="Setup steps">
          {STEPS.map((s, i) => (
            <li key={s.key} aria-current={i === index ? 'step' : undefined} className={i < index ? 'done' : i === index ? 'current' : ''}>
              <span className="visually-hidden">Step </span>
              {i + 1}
              <span className="visually-hidden"> of {STEPS.length}:</span> {s.label}
            </li>
          ))}
        </ol>
        <h1 ref={heading} tabIndex={-1}>
          {titles[step]}
        </h1>

        {step === 'zone' && (
          <form onSubmit={saveZone} className="stack">
            <p>Your hours and your clients’ times are worked out from this zone. Clients see times in their own zone.</p>
            <SelectField label="Time zone" value={practice.timeZone} onChange={(e) => setPractice((p) => ({ ...p, timeZone: e.target.value }))}>
              {allTimeZones().map((z) => (
                <option key={z} value={z}>
                  {z.replace(/_/g, ' ')}
                </option>
              ))}
            </SelectField>
            <ErrorBox error={error} />
            <button type="submit" className="button button-primary" disabled={busy}>
              {busy ? 'Saving…' : 'Continue'}
            </button>
          </form>
        )}

        {step === 'service' && (
          <>
            <p>A service is one kind of session. You can add more, with breaks and notice periods, in Settings.</p>
            <ServiceForm
              compact
              currency={practice.currency}
              submitLabel="Continue"
              onSaved={(service) => {
                setServices((s) => [...s, service]);
                setStep('hours');
              }}
            />
          </>
        )}

        {step === 'hours' && (
          <form onSubmit={saveHours} className="stack">
            <p>Times in {practice.timeZone.replace(/_/g, ' ')}. You can add days off and special hours later.</p>
            <WeeklyEditor week={week} onChange={setWeek} />
            <ErrorBox error={error} />
            <button type="submit" className="button button-primary" disabled={busy}>
              {busy ? 'Saving…' : 'Continue'}
            </button>
          </form>
        )}

        {step === 'package' && (
          <>
            <p>Clients buy a package of credits; each session uses one. You see who is running low, and so do they.</p>
            <PackageForm compact services={services} currency={practice.currency} submitLabel="Continue" onSaved={() => setStep('done')} />
            <p>
              <button type="button" className="link-button" onClick={() => setStep('done')}>
                Skip for now
              </button>
            </p>
          </>
        )}

        {step === 'done' && (
          <div className="stack">
            <p>Share this link with your clients. They pick a time, sign in with their email and book — with credits from a package, or buying one on the way.</p>
            <BookingLink slug={practice.slug} />
            <div className="row wrap">
              <a className="button" href={`/${practice.slug}`} target="_blank" rel="noreferrer">
                Open your booking page<span className="visually-hidden"> (opens in a new tab)</span>
              </a>
              <Link to="/app" className="button button-primary" onClick={() => void reload()}>
                Go to your dashboard
              </Link>
            </div>
          </div>
        )}
      </main>
    </div>
  );
}
