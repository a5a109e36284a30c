import { useId, useState, type FormEvent } from 'react';
import { api, ApiError, type Availability, type Package, type Policy, type PolicyAction, type Service, type TimeRange } from '../api';
import { moneyInput, parseMoney, policySentence, WEEKDAYS } from '../format';
import { ErrorBox, Field, fieldError, SelectField, useAction } from '../ui';

const onlyGeneralError = (error: unknown) => error !== null && !(error instanceof ApiError && error.code === 'validation_failed' && error.problem.errors?.some((e) => e.path !== '/'));

/** The end of a service or package form: an error no field shows, then Save (and Cancel). */
function FormFooter({ error, busy, submitLabel, onCancel }: { error: unknown; busy: boolean; submitLabel: string; onCancel?: () => void }) {
  return (
    <>
      {onlyGeneralError(error) && <ErrorBox error={error} />}
      <div className="row">
        <button type="submit" className="button button-primary" disabled={busy}>
          {busy ? 'Saving…' : submitLabel}
        </button>
        {onCancel && (
          <button type="button" className="button" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
    </>
  );
}

/** A service: the three fields a newcomer needs (compact), or all of them. */
export function ServiceForm({
  initial,
  currency,
  compact,
  submitLabel = 'Save service',
  onSaved,
  onCancel,
}: {
  initial?: Service;
  currency: string;
  compact?: boolean;
  submitLabel?: string;
  onSaved: (service: Service) => void;
  onCancel?: () => void;
}) {
  const [form, setForm] = useState({
    name: initial?.name ?? '',
    description: initial?.description ?? '',
    durationMinutes: String(initial?.durationMinutes ?? 60),
    creditCost: String(initial?.creditCost ?? 1),
    price: moneyInput(initial?.price ?? null),
    bufferBeforeMinutes: String(initial?.bufferBeforeMinutes ?? 0),
    bufferAfterMinutes: String(initial?.bufferAfterMinutes ?? 0),
    minNoticeHours: String((initial?.minNoticeMinutes ?? 0) / 60),
    maxAdvanceDays: String(initial?.maxAdvanceDays ?? 60),
    slotStepMinutes: initial && initial.slotStepMinutes !== initial.durationMinutes ? String(initial.slotStepMinutes) : '',
    capacity: String(initial?.capacity ?? 1),
    active: initial?.active ?? true,
  });
  const id = useId();
  const { busy, error, setError, run } = useAction();
  const set = (key: keyof typeof form) => (event: { target: { value: string } }) => setForm((f) => ({ ...f, [key]: event.target.value }));

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const price = form.price.trim() === '' ? null : parseMoney(form.price, currency);
    if (form.price.trim() !== '' && price === null) {
      setError(new ApiError({ status: 400, code: 'validation_failed', errors: [{ path: '/price', message: 'Enter an amount like 90 or 90.50, or leave it empty.' }] }));
      return;
    }
    const body: Record<string, unknown> = {
      name: form.name.trim(),
      durationMinutes: Number(form.durationMinutes),
      price: price === null ? null : { amount: price, currency },
    };
    if (!compact) {
      Object.assign(body, {
        description: form.description.trim(),
        creditCost: Number(form.creditCost),
        bufferBeforeMinutes: Number(form.bufferBeforeMinutes),
        bufferAfterMinutes: Number(form.bufferAfterMinutes),
        minNoticeMinutes: Math.round(Number(form.minNoticeHours) * 60),
        maxAdvanceDays: Number(form.maxAdvanceDays),
        capacity: Number(form.capacity),
        active: form.active,
      });
      if (form.slotStepMinutes.trim() !== '') body.slotStepMinutes = Number(form.slotStepMinutes);
    }
    if (!initial && body.price === null) delete body.price;
    await run(async () => {
      const saved = initial ? await api.patch<Service>(`/services/${encodeURIComponent(initial.id)}`, body) : await api.post<Service>('/services', body);
      onSaved(saved);
    });
  };

  return (
    <form onSubmit={submit} className="stack" noValidate>
      <Field label="Name" required value={form.name} onChange={set('name')} placeholder="e.g. Coaching session" error={fieldError(error, '/name')} />
      <Field label="Length (minutes)" type="number" inputMode="numeric" min={5} max={1440} step={5} required value={form.durationMinutes} onChange={set('durationMinutes')} error={fieldError(error, '/durationMinutes')} />
      <Field
        label={`Price of a single session (${currency}, optional)`}
        inputMode="decimal"
        value={form.price}
        onChange={set('price')}
        hint="Leave empty if this is only sold in packages."
        error={fieldError(error, '/price')}
      />
      {!compact && (
        <>
          <Field label="Description (optional)" value={form.description} onChange={set('description')} error={fieldError(error, '/description')} />
          <Field label="Credits per session" type="number" inputMode="numeric" min={0} max={100} hint="0 makes it free to book." value={form.creditCost} onChange={set('creditCost')} error={fieldError(error, '/creditCost')} />
          <div className="grid-2">
            <Field label="Break before (minutes)" type="number" inputMode="numeric" min={0} value={form.bufferBeforeMinutes} onChange={set('bufferBeforeMinutes')} error={fieldError(error, '/bufferBeforeMinutes')} />
            <Field label="Break after (minutes)" type="number" inputMode="numeric" min={0} value={form.bufferAfterMinutes} onChange={set('bufferAfterMinutes')} error={fieldError(error, '/bufferAfterMinutes')} />
            <Field label="Minimum notice (hours)" type="number" inputMode="decimal" min={0} step="0.5" value={form.minNoticeHours} onChange={set('minNoticeHours')} error={fieldError(error, '/minNoticeMinutes')} />
            <Field label="Bookable up to (days ahead)" type="number" inputMode="numeric" min={1} value={form.maxAdvanceDays} onChange={set('maxAdvanceDays')} error={fieldError(error, '/maxAdvanceDays')} />
            <Field label="Start times every (minutes)" type="number" inputMode="numeric" min={5} placeholder={`${form.durationMinutes} (the length)`} value={form.slotStepMinutes} onChange={set('slotStepMinutes')} error={fieldError(error, '/slotStepMinutes')} />
            <Field label="Places per session" type="number" inputMode="numeric" min={1} value={form.capacity} onChange={set('capacity')} hint="1 for one-to-one." error={fieldError(error, '/capacity')} />
          </div>
          <div className="check">
            <input id={`${id}-active`} type="checkbox" checked={form.active} onChange={(e) => setForm((f) => ({ ...f, active: e.target.checked }))} />
            <label htmlFor={`${id}-active`}>Open for booking</label>
          </div>
        </>
      )}
      <FormFooter error={error} busy={busy} submitLabel={submitLabel} onCancel={onCancel} />
    </form>
  );
}

const VALIDITY_CHOICES: { label: string; days: number | null }[] = [
  { label: 'Never expires', days: null },
  { label: '1 month', days: 30 },
  { label: '3 months', days: 90 },
  { label: '6 months', days: 180 },
  { label: '1 year', days: 365 },
];

export function PackageForm({
  initial,
  services,
  currency,
  compact,
  submitLabel = 'Save package',
  onSaved,
  onCancel,
}: {
  initial?: Package;
  services: Service[];
  currency: string;
  compact?: boolean;
  submitLabel?: string;
  onSaved: (pkg: Package) => void;
  onCancel?: () => void;
}) {
  const id = useId();
  const [form, setForm] = useState({
    name: initial?.name ?? '5 sessions',
    credits: String(initial?.credits ?? 5),
    price: moneyInput(initial?.price ?? null),
    validity: initial ? (initial.validityDays === null ? 'none' : String(initial.validityDays)) : '180',
    allServices: initial ? initial.serviceIds === null : true,
    serviceIds: initial?.serviceIds ?? [],
    active: initial?.active ?? true,
  });
  const { busy, error, setError, run } = useAction();
  const set = (key: 'name' | 'credits' | 'price' | 'validity') => (event: { target: { value: string } }) => setForm((f) => ({ ...f, [key]: event.target.value }));
  const choices = VALIDITY_CHOICES.some((c) => String(c.days ?? 'none') === form.validity) ? VALIDITY_CHOICES : [...VALIDITY_CHOICES, { label: `${form.validity} days`, days: Number(form.validity) }];

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const price = parseMoney(form.price, currency);
    if (price === null) {
      setError(new ApiError({ status: 400, code: 'validation_failed', errors: [{ path: '/price', message: 'Enter the package price, like 400 or 399.50.' }] }));
      return;
    }
    const body: Record<string, unknown> = {
      name: form.name.trim(),
      credits: Number(form.credits),
      price: { amount: price, currency },
      validityDays: form.validity === 'none' ? null : Number(form.validity),
    };
    if (!compact) {
      body.serviceIds = form.allServices ? null : form.serviceIds;
      body.active = form.active;
    }
    await run(async () => {
      const saved = initial ? await api.patch<Package>(`/packages/${encodeURIComponent(initial.id)}`, body) : await api.post<Package>('/packages', body);
      onSaved(saved);
    });
  };

  return (
    <form onSubmit={submit} className="stack" noValidate>
      <Field label="Name" required value={form.name} onChange={set('name')} error={fieldError(error, '/name')} />
      <div className="grid-2">
        <Field label="Credits" type="number" inputMode="numeric" min={1} max={1000} required value={form.credits} onChange={set('credits')} hint="One credit pays for one session." error={fieldError(error, '/credits')} />
        <Field label={`Price (${currency})`} inputMode="decimal" required value={form.price} onChange={set('price')} placeholder="400" error={fieldError(error, '/price')} />
      </div>
      <SelectField label="Valid for" value={form.validity} onChange={set('validity')} hint="Counted from the day of purchase. Sessions must start before the credits expire.">
        {choices.map((c) => (
          <option key={c.label} value={String(c.days ?? 'none')}>
            {c.label}
          </option>
        ))}
      </SelectField>
      {!compact && services.length > 0 && (
        <fieldset className="fieldset">
          <legend>Pays for</legend>
          <div className="check">
            <input id={`${id}-all`} type="checkbox" checked={form.allServices} onChange={(e) => setForm((f) => ({ ...f, allServices: e.target.checked }))} />
            <label htmlFor={`${id}-all`}>Every service</label>
          </div>
          {!form.allServices &&
            services.map((s) => (
              <div className="check" key={s.id}>
                <input
                  id={`${id}-${s.id}`}
                  type="checkbox"
                  checked={form.serviceIds.includes(s.id)}
                  onChange={(e) =>
                    setForm((f) => ({ ...f, serviceIds: e.target.checked ? [...f.serviceIds, s.id] : f.serviceIds.filter((x) => x !== s.id) }))
                  }
                />
                <label htmlFor={`${id}-${s.id}`}>{s.name}</label>
              </div>
            ))}
        </fieldset>
      )}
      {!compact && (
        <div className="check">
          <input id={`${id}-active`} type="checkbox" checked={form.active} onChange={(e) => setForm((f) => ({ ...f, active: e.target.checked }))} />
          <label htmlFor={`${id}-active`}>On sale</label>
        </div>
      )}
      <FormFooter error={error} busy={busy} submitLabel={submitLabel} onCancel={onCancel} />
    </form>
  );
}

export type Weekly = TimeRange[][]; // index 0 = Monday

export function weeklyFrom(availability: Availability): Weekly {
  const week: Weekly = WEEKDAYS.map(() => []);
  for (const r of availability.weekly) week[r.weekday - 1]?.push({ start: r.start, end: r.end });
  for (const day of week) day.sort((a, b) => a.start.localeCompare(b.start));
  return week;
}

export function weeklyTo(week: Weekly): Availability['weekly'] {
  return week.flatMap((ranges, i) => ranges.map((r) => ({ weekday: i + 1, start: r.start, end: r.end })));
}

export function weeklyProblems(week: Weekly): string[] {
  const problems: string[] = [];
  week.forEach((ranges, i) => {
    const sorted = [...ranges].sort((a, b) => a.start.localeCompare(b.start));
    sorted.forEach((r, j) => {
      if (!r.start || !r.end || r.end <= r.start) problems.push(`${WEEKDAYS[i]}: the end must be after the start.`);
      const next = sorted[j + 1];
      if (next && next.start < r.end) problems.push(`${WEEKDAYS[i]}: hours overlap.`);
    });
  });
  return problems;
}

/** Time ranges of one day (a weekday or a dated override). */
export function RangesEditor({ label, ranges, onChange, emptyText = 'Closed' }: { label: string; ranges: TimeRange[]; onChange: (ranges: TimeRange[]) => void; emptyText?: string }) {
  const update = (i: number, key: keyof TimeRange, value: string) => onChange(ranges.map((r, j) => (j === i ? { ...r, [key]: value } : r)));
  const add = () => {
    const last = ranges[ranges.length - 1];
    onChange([...ranges, last ? { start: last.end < '23:00' ? last.end : '09:00', end: last.end < '22:00' ? `${String(Number(last.end.slice(0, 2)) + 1).padStart(2, '0')}:${last.end.slice(3)}` : '24:00' } : { start: '09:00', end: '17:00' }]);
  };
  return (
    <div className="ranges">
      {ranges.length === 0 && <span className="closed">{emptyText}</span>}
      {ranges.map((r, i) => (
        <div className="range" key={i}>
          <label className="visually-hidden" htmlFor={`${label}-${i}-start`}>
            {label} from
          </label>
          <input id={`${label}-${i}-start`} type="time" step={300} value={r.start} onChange={(e) => update(i, 'start', e.target.value)} />
          <span aria-hidden="true">–</span>
          <label className="visually-hidden" htmlFor={`${label}-${i}-end`}>
            {label} until
          </label>
          <input id={`${label}-${i}-end`} type="time" step={300} value={r.end === '24:00' ? '23:59' : r.end} onChange={(e) => update(i, 'end', e.target.value === '23:59' ? '24:00' : e.target.value)} />
          <button type="button" className="icon-button" onClick={() => onChange(ranges.filter((_, j) => j !== i))} aria-label={`Remove ${label} ${r.start}–${r.end}`}>
            ×
          </button>
        </div>
      ))}
      <button type="button" className="link-button" onClick={add} aria-label={`Add hours on ${label}`}>
        + Add hours
      </button>
    </div>
  );
}

export function WeeklyEditor({ week, onChange }: { week: Weekly; onChange: (week: Weekly) => void }) {
  return (
    <div className="weekly" role="group" aria-label="Weekly hours">
      {WEEKDAYS.map((day, i) => (
        <div className="weekday-row" key={day}>
          <span className="weekday-name">{day}</span>
          <RangesEditor label={day} ranges={week[i] ?? []} onChange={(ranges) => onChange(week.map((r, j) => (j === i ? ranges : r)))} />
        </div>
      ))}
    </div>
  );
}

/** The cancellation policy as a form, with the sentence clients will read. */
export function PolicyForm({ initial, currency, onSaved }: { initial: Policy; currency: string; onSaved: (policy: Policy) => void }) {
  const [form, setForm] = useState({
    windowHours: String(initial.windowHours),
    lateCancel: initial.lateCancel,
    lateCancelFee: moneyInput(initial.lateCancelFee),
    noShow: initial.noShow,
    noShowFee: moneyInput(initial.noShowFee),
    clientReschedule: initial.clientReschedule,
  });
  const { busy, error, run } = useAction();
  const [saved, setSaved] = useState(false);
  const lateFee = parseMoney(form.lateCancelFee, currency);
  const noShowFee = parseMoney(form.noShowFee, currency);
  const preview: Policy = {
    windowHours: Number(form.windowHours) || 0,
    lateCancel: form.lateCancel,
    noShow: form.noShow,
    lateCancelFee: lateFee === null ? null : { amount: lateFee, currency },
    noShowFee: noShowFee === null ? null : { amount: noShowFee, currency },
    clientReschedule: form.clientReschedule,
  };
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setSaved(false);
    await run(async () => {
      const practice = await api.patch<{ policy: Policy }>('/practice', { policy: preview });
      onSaved(practice.policy);
      setSaved(true);
    });
  };
  const actions: { value: PolicyAction; label: string }[] = [
    { value: 'forfeit', label: 'The credit is used' },
    { value: 'fee', label: 'The credit comes back, a fee is owed' },
    { value: 'none', label: 'Nothing: the credit comes back' },
  ];
  return (
    <form onSubmit={submit} className="stack" noValidate>
      <Field label="Free cancellation until (hours before the session)" type="number" inputMode="numeric" min={0} max={720} value={form.windowHours} onChange={(e) => setForm((f) => ({ ...f, windowHours: e.target.value }))} error={fieldError(error, '/policy/windowHours')} />
      <SelectField label="When a client cancels later" value={form.lateCancel} onChange={(e) => setForm((f) => ({ ...f, lateCancel: e.target.value as PolicyAction }))}>
        {actions.map((a) => (
          <option key={a.value} value={a.value}>
            {a.label}
          </option>
        ))}
      </SelectField>
      {form.lateCancel === 'fee' && <Field label={`Late cancellation fee (${currency})`} inputMode="decimal" value={form.lateCancelFee} onChange={(e) => setForm((f) => ({ ...f, lateCancelFee: e.target.value }))} />}
      <SelectField label="When a client doesn’t show up" value={form.noShow} onChange={(e) => setForm((f) => ({ ...f, noShow: e.target.value as PolicyAction }))}>
        {actions.map((a) => (
          <option key={a.value} value={a.value}>
            {a.label}
          </option>
        ))}
      </SelectField>
      {form.noShow === 'fee' && <Field label={`No-show fee (${currency})`} inputMode="decimal" value={form.noShowFee} onChange={(e) => setForm((f) => ({ ...f, noShowFee: e.target.value }))} />}
      <div className="check">
        <input id="policy-reschedule" type="checkbox" checked={form.clientReschedule} onChange={(e) => setForm((f) => ({ ...f, clientReschedule: e.target.checked }))} />
        <label htmlFor="policy-reschedule">Clients may move their own sessions (before the deadline)</label>
      </div>
      <div className="preview" aria-live="polite">
        <span className="hint">Clients read:</span> <strong>{policySentence(preview)}</strong>
      </div>
      {error !== null && <ErrorBox error={error} />}
      {saved && <p role="status" className="saved">Policy saved.</p>}
      <button type="submit" className="button button-primary" disabled={busy}>
        {busy ? 'Saving…' : 'Save policy'}
      </button>
    </form>
  );
}
