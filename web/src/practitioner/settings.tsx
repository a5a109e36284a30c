import { useState, type FormEvent } from 'react';
import { api, getAll, type Availability, type Package, type Practice, type Service, type TimeRange } from '../api';
import { MonthCalendar } from '../calendar';
import { allTimeZones, credits, dayLabel, durationText, formatMoney, packageLine, sessionsMode, todayIn, WEEKDAYS, weekdayOf } from '../format';
import { useTitle } from '../router';
import { BookingLink, Dialog, Empty, ErrorBox, Field, Loading, SelectField, useAction, useLoad } from '../ui';
import { useAccount } from './account';
import { PaymentsPanel } from './payments';
import { PackageForm, PolicyForm, RangesEditor, ServiceForm, WeeklyEditor, weeklyFrom, weeklyProblems, weeklyTo, type Weekly } from './catalog-forms';

export function Settings() {
  const { account, reload } = useAccount();
  useTitle('Settings');
  const data = useLoad(async () => {
    const [practice, services, packages, availability] = await Promise.all([
      api.get<Practice>('/practice'),
      getAll<Service>('/services', 2),
      getAll<Package>('/packages', 2),
      api.get<Availability>('/availability'),
    ]);
    return { practice, services, packages, availability };
  }, []);
  const [editingService, setEditingService] = useState<Service | 'new' | null>(null);
  const [editingPackage, setEditingPackage] = useState<Package | 'new' | null>(null);

  if (data.loading && !data.data) return <Loading label="Loading settings…" />;
  if (data.error || !data.data) {
    return (
      <>
        <h1 tabIndex={-1}>Settings</h1>
        <ErrorBox error={data.error} />
        <button type="button" className="button" onClick={data.reload}>
          Try again
        </button>
      </>
    );
  }
  const { practice, services, packages, availability } = data.data;
  const sessions = sessionsMode(services);

  return (
    <>
      <h1 tabIndex={-1}>Settings</h1>
      <nav aria-label="Settings sections" className="subnav">
        <ul>
          <li>
            <a href="#link">Booking link</a>
          </li>
          <li>
            <a href="#services">Services</a>
          </li>
          <li>
            <a href="#packages">Packages</a>
          </li>
          <li>
            <a href="#hours">Hours</a>
          </li>
          <li>
            <a href="#policy">Cancellation policy</a>
          </li>
          <li>
            <a href="#payments">Payments</a>
          </li>
          <li>
            <a href="#practice">Practice</a>
          </li>
        </ul>
      </nav>

      <section id="link" className="card-section" aria-labelledby="link-heading">
        <h2 id="link-heading">Booking link</h2>
        <BookingLink slug={practice.slug} />
      </section>

      <section id="services" className="card-section" aria-labelledby="services-heading">
        <div className="section-head">
          <h2 id="services-heading">Services</h2>
          <button type="button" className="button" onClick={() => setEditingService('new')}>
            Add service
          </button>
        </div>
        {services.length === 0 ? (
          <Empty>No services yet: clients can’t book until you add one.</Empty>
        ) : (
          <ul className="settings-list">
            {services.map((s) => (
              <li key={s.id}>
                <div>
                  <strong>{s.name}</strong>
                  {!s.active && <span className="chip">Hidden</span>}
                  <p className="hint">
                    {durationText(s.durationMinutes)} · {credits(s.creditCost)}
                    {s.price && <> · {formatMoney(s.price)} alone</>}
                    {s.capacity > 1 && <> · {s.capacity} places</>}
                  </p>
                </div>
                <button type="button" className="button" onClick={() => setEditingService(s)} aria-label={`Edit ${s.name}`}>
                  Edit
                </button>
              </li>
            ))}
          </ul>
        )}
      </section>

      <section id="packages" className="card-section" aria-labelledby="packages-heading">
        <div className="section-head">
          <h2 id="packages-heading">Packages</h2>
          <button type="button" className="button" onClick={() => setEditingPackage('new')}>
            Add package
          </button>
        </div>
        {packages.length === 0 ? (
          <Empty>No packages yet. Clients buy credits through packages.</Empty>
        ) : (
          <ul className="settings-list">
            {packages.map((p) => (
              <li key={p.id}>
                <div>
                  <strong>{p.name}</strong>
                  {!p.active && <span className="chip">Not on sale</span>}
                  <p className="hint">
                    {packageLine(p, sessions)}
                    {p.serviceIds && <> · for {p.serviceIds.map((id) => services.find((s) => s.id === id)?.name ?? 'a removed service').join(', ')}</>}
                  </p>
                </div>
                <button type="button" className="button" onClick={() => setEditingPackage(p)} aria-label={`Edit ${p.name}`}>
                  Edit
                </button>
              </li>
            ))}
          </ul>
        )}
      </section>

      <section id="hours" className="card-section" aria-labelledby="hours-heading">
        <h2 id="hours-heading">Hours</h2>
        <HoursEditor availability={availability} timeZone={practice.timeZone} onSaved={data.reload} />
      </section>

      <section id="policy" className="card-section" aria-labelledby="policy-heading">
        <h2 id="policy-heading">Cancellation policy</h2>
        <PolicyForm initial={practice.policy} currency={practice.currency} onSaved={() => void reload()} />
      </section>

      <section id="payments" className="card-section" aria-labelledby="payments-heading">
        <h2 id="payments-heading">Payments</h2>
        <PaymentsPanel onSaved={data.reload} />
      </section>

      <section id="practice" className="card-section" aria-labelledby="practice-heading">
        <h2 id="practice-heading">Practice</h2>
        <PracticeForm
          practice={practice}
          onSaved={() => {
            data.reload();
            void reload();
          }}
        />
        <p className="hint">Signed in as {account.user.email}.</p>
      </section>

      <Dialog open={editingService !== null} onClose={() => setEditingService(null)} title={editingService === 'new' ? 'Add a service' : 'Edit service'} wide>
        {editingService !== null && (
          <>
            <ServiceForm
              key={editingService === 'new' ? 'new' : editingService.id}
              initial={editingService === 'new' ? undefined : editingService}
              currency={practice.currency}
              onSaved={() => {
                setEditingService(null);
                data.reload();
              }}
              onCancel={() => setEditingService(null)}
            />
            {editingService !== 'new' && (
              <RemoveService
                service={editingService}
                onRemoved={() => {
                  setEditingService(null);
                  data.reload();
                }}
              />
            )}
          </>
        )}
      </Dialog>
      <Dialog open={editingPackage !== null} onClose={() => setEditingPackage(null)} title={editingPackage === 'new' ? 'Add a package' : 'Edit package'} wide>
        {editingPackage !== null && (
          <PackageForm
            key={editingPackage === 'new' ? 'new' : editingPackage.id}
            initial={editingPackage === 'new' ? undefined : editingPackage}
            services={services}
            currency={practice.currency}
            onSaved={() => {
              setEditingPackage(null);
              data.reload();
            }}
            onCancel={() => setEditingPackage(null)}
          />
        )}
      </Dialog>
    </>
  );
}

function RemoveService({ service, onRemoved }: { service: Service; onRemoved: () => void }) {
  const [error, setError] = useState<unknown>(null);
  const remove = async () => {
    try {
      await api.delete(`/services/${encodeURIComponent(service.id)}`);
      onRemoved();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <div className="danger-zone">
      <p className="hint">Removing keeps past sessions; a service with bookings is hidden instead.</p>
      <button type="button" className="button button-danger-outline" onClick={() => void remove()}>
        Remove {service.name}
      </button>
      <ErrorBox error={error} />
    </div>
  );
}

function PracticeForm({ practice, onSaved }: { practice: Practice; onSaved: () => void }) {
  const [name, setName] = useState(practice.name);
  const [timeZone, setTimeZone] = useState(practice.timeZone);
  const { busy, error, run } = useAction();
  const [saved, setSaved] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setSaved(false);
    await run(async () => {
      await api.patch<Practice>('/practice', { name: name.trim(), timeZone });
      setSaved(true);
      onSaved();
    });
  };
  return (
    <form onSubmit={submit} className="stack" noValidate>
      <Field label="Practice name" value={name} onChange={(e) => setName(e.target.value)} />
      <SelectField label="Time zone" value={timeZone} onChange={(e) => setTimeZone(e.target.value)} hint="Your weekly hours are read in this zone.">
        {allTimeZones().map((z) => (
          <option key={z} value={z}>
            {z.replace(/_/g, ' ')}
          </option>
        ))}
      </SelectField>
      <p className="hint">Currency: {practice.currency}</p>
      <ErrorBox error={error} />
      {saved && (
        <p role="status" className="saved">
          Saved.
        </p>
      )}
      <button type="submit" className="button button-primary" disabled={busy}>
        Save
      </button>
    </form>
  );
}

function HoursEditor({ availability, timeZone, onSaved }: { availability: Availability; timeZone: string; onSaved: () => void }) {
  const [week, setWeek] = useState<Weekly>(() => weeklyFrom(availability));
  const [overrides, setOverrides] = useState(availability.overrides);
  const today = todayIn(timeZone);
  const [[year, month], setMonth] = useState<[number, number]>(() => [Number(today.slice(0, 4)), Number(today.slice(5, 7))]);
  const [date, setDate] = useState<string | null>(null);
  const { busy, error, setError, run } = useAction();
  const [saved, setSaved] = useState(false);
  const marked = new Set(overrides.map((o) => o.date));
  const current = date ? overrides.find((o) => o.date === date) : undefined;
  const upcoming = overrides.filter((o) => o.date >= today).sort((a, b) => a.date.localeCompare(b.date));

  const setDay = (d: string, intervals: TimeRange[] | null) => {
    setSaved(false);
    setOverrides((list) => {
      const rest = list.filter((o) => o.date !== d);
      return intervals === null ? rest : [...rest, { date: d, intervals }].sort((a, b) => a.date.localeCompare(b.date));
    });
  };

  const save = async () => {
    const problems = weeklyProblems(week).concat(weeklyProblems(overrides.map((o) => o.intervals)).map((p) => p.replace(/^\w+day:/, 'A dated change:')));
    if (problems.length) {
      setError(new Error(problems.join(' ')));
      return;
    }
    setSaved(false);
    await run(async () => {
      const result = await api.put<Availability>('/availability', { weekly: weeklyTo(week), overrides });
      setWeek(weeklyFrom(result));
      setOverrides(result.overrides);
      setSaved(true);
      onSaved();
    });
  };

  const weekdayHours = date ? (week[weekdayOf(date) - 1] ?? []) : [];
  return (
    <div className="stack">
      <h3>Every week</h3>
      <p className="hint">Times in {timeZone.replace(/_/g, ' ')}.</p>
      <WeeklyEditor
        week={week}
        onChange={(w) => {
          setSaved(false);
          setWeek(w);
        }}
      />
      <h3>Days off and special hours</h3>
      <div className="picker-grid">
        <MonthCalendar
          year={year}
          month={month}
          marked={marked}
          selected={date}
          today={today}
          markLabel="changed hours"
          onSelect={setDate}
          onMonthChange={(y, m) => setMonth([y, m])}
        />
        <div className="override-editor">
          {date ? (
            <>
              <h4>{dayLabel(date)}</h4>
              {current ? (
                <>
                  <p className="hint">{current.intervals.length === 0 ? 'Day off.' : 'Special hours this day:'}</p>
                  <RangesEditor label={dayLabel(date)} ranges={current.intervals} onChange={(r) => setDay(date, r)} emptyText="Closed all day" />
                  <button type="button" className="link-button" onClick={() => setDay(date, null)}>
                    Back to the usual {WEEKDAYS[weekdayOf(date) - 1]} hours
                  </button>
                </>
              ) : (
                <>
                  <p className="hint">
                    Usual {WEEKDAYS[weekdayOf(date) - 1]} hours: {weekdayHours.length ? weekdayHours.map((r) => `${r.start}–${r.end}`).join(', ') : 'closed'}.
                  </p>
                  <div className="row wrap">
                    <button type="button" className="button" onClick={() => setDay(date, [])}>
                      Make it a day off
                    </button>
                    <button type="button" className="button" onClick={() => setDay(date, weekdayHours.length ? weekdayHours : [{ start: '09:00', end: '17:00' }])}>
                      Set special hours
                    </button>
                  </div>
                </>
              )}
            </>
          ) : (
            <p className="hint">Pick a day in the calendar to take it off or change its hours. Changed days are marked with a dot.</p>
          )}
          {upcoming.length > 0 && (
            <>
              <h4>Coming changes</h4>
              <ul className="plain-list">
                {upcoming.map((o) => (
                  <li key={o.date}>
                    <button type="button" className="link-button" onClick={() => setDate(o.date)}>
                      {dayLabel(o.date)}
                    </button>
                    : {o.intervals.length === 0 ? 'day off' : o.intervals.map((r) => `${r.start}–${r.end}`).join(', ')}
                  </li>
                ))}
              </ul>
            </>
          )}
        </div>
      </div>
      <ErrorBox error={error} />
      {saved && (
        <p role="status" className="saved">
          Hours saved.
        </p>
      )}
      <button type="button" className="button button-primary" onClick={() => void save()} disabled={busy}>
        {busy ? 'Saving…' : 'Save hours'}
      </button>
    </div>
  );
}
