import { useEffect, useId, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { api, type Service, type Slot } from './api';
import { addDays, allTimeZones, dateKey, dayLabel, formatDay, formatTime, monthLabel, todayIn, weekdayOf } from './format';
import { ErrorBox, Loading } from './ui';

const pad = (n: number) => String(n).padStart(2, '0');
const monthStart = (year: number, month: number) => `${year}-${pad(month)}-01`;
function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}
function shiftMonth(year: number, month: number, delta: number): [number, number] {
  const index = year * 12 + (month - 1) + delta;
  return [Math.floor(index / 12), (index % 12) + 1];
}

/**
 * A month grid (APG date-grid pattern): one day is tabbable, arrow keys move between days,
 * Home/End to the week's ends, PageUp/PageDown between months, Enter or Space picks.
 */
export function MonthCalendar({
  year,
  month,
  marked,
  selected,
  today,
  onSelect,
  onMonthChange,
  markLabel = 'available',
  disablePast = true,
}: {
  year: number;
  month: number;
  marked: Set<string>;
  selected: string | null;
  today: string;
  onSelect: (date: string) => void;
  onMonthChange: (year: number, month: number) => void;
  markLabel?: string;
  disablePast?: boolean;
}) {
  const first = monthStart(year, month);
  const count = daysInMonth(year, month);
  const lead = weekdayOf(first) - 1;
  const [focused, setFocused] = useState<string>(() => (selected?.startsWith(first.slice(0, 8)) ? selected : first));
  const grid = useRef<HTMLTableElement>(null);
  const wantFocus = useRef(false);
  const labelId = useId();

  useEffect(() => {
    if (!focused.startsWith(first.slice(0, 8))) {
      setFocused(selected?.startsWith(first.slice(0, 8)) ? selected : first);
    }
  }, [first, focused, selected]);

  useEffect(() => {
    if (!wantFocus.current) return;
    wantFocus.current = false;
    grid.current?.querySelector<HTMLButtonElement>(`button[data-date="${focused}"]`)?.focus();
  }, [focused, year, month]);

  const moveTo = (date: string) => {
    wantFocus.current = true;
    const [y, m] = date.split('-').map(Number) as [number, number];
    if (y !== year || m !== month) onMonthChange(y, m);
    setFocused(date);
  };

  const onKeyDown = (event: KeyboardEvent<HTMLButtonElement>, date: string) => {
    const moves: Record<string, () => string> = {
      ArrowLeft: () => addDays(date, -1),
      ArrowRight: () => addDays(date, 1),
      ArrowUp: () => addDays(date, -7),
      ArrowDown: () => addDays(date, 7),
      Home: () => addDays(date, -(weekdayOf(date) - 1)),
      End: () => addDays(date, 7 - weekdayOf(date)),
      PageUp: () => {
        const [y, m] = shiftMonth(year, month, -1);
        return `${y}-${pad(m)}-${pad(Math.min(Number(date.slice(8)), daysInMonth(y, m)))}`;
      },
      PageDown: () => {
        const [y, m] = shiftMonth(year, month, 1);
        return `${y}-${pad(m)}-${pad(Math.min(Number(date.slice(8)), daysInMonth(y, m)))}`;
      },
    };
    const move = moves[event.key];
    if (!move) return;
    event.preventDefault();
    moveTo(move());
  };

  const weeks: (string | null)[][] = [];
  let week: (string | null)[] = Array.from({ length: lead }, () => null);
  for (let d = 1; d <= count; d++) {
    week.push(`${year}-${pad(month)}-${pad(d)}`);
    if (week.length === 7) {
      weeks.push(week);
      week = [];
    }
  }
  if (week.length) weeks.push([...week, ...Array.from({ length: 7 - week.length }, () => null)]);

  const [prevY, prevM] = shiftMonth(year, month, -1);
  const [nextY, nextM] = shiftMonth(year, month, 1);
  const canGoBack = !disablePast || monthStart(year, month) > today;

  return (
    <div className="calendar">
      <div className="calendar-head">
        <button type="button" className="icon-button" onClick={() => onMonthChange(prevY, prevM)} disabled={!canGoBack} aria-label={`Previous month, ${monthLabel(prevY, prevM)}`}>
          ‹
        </button>
        <h3 id={labelId} aria-live="polite">
          {monthLabel(year, month)}
        </h3>
        <button type="button" className="icon-button" onClick={() => onMonthChange(nextY, nextM)} aria-label={`Next month, ${monthLabel(nextY, nextM)}`}>
          ›
        </button>
      </div>
      <table ref={grid} role="grid" aria-labelledby={labelId} className="calendar-grid">
        <thead>
          <tr>
            {['Mo', 'Tu', 'We', 'Th', 'Fr', 'Sa', 'Su'].map((d, i) => (
              <th key={d} scope="col" abbr={['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'][i]}>
                {d}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {weeks.map((days, i) => (
            <tr key={i}>
              {days.map((date, j) =>
                date ? (
                  <td key={date} role="gridcell" aria-selected={date === selected}>
                    <button
                      type="button"
                      data-date={date}
                      tabIndex={date === focused ? 0 : -1}
                      className={['day', marked.has(date) ? 'day-marked' : '', date === selected ? 'day-selected' : '', date === today ? 'day-today' : '']
                        .filter(Boolean)
                        .join(' ')}
                      aria-label={`${dayLabel(date)}${marked.has(date) ? `, ${markLabel}` : ''}${date === today ? ', today' : ''}`}
                      aria-pressed={date === selected}
                      onKeyDown={(e) => onKeyDown(e, date)}
                      onFocus={() => setFocused(date)}
                      onClick={() => onSelect(date)}
                    >
                      {Number(date.slice(8))}
                    </button>
                  </td>
                ) : (
                  <td key={`empty-${j}`} />
                ),
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function TimeZonePicker({ value, onChange }: { value: string; onChange: (zone: string) => void }) {
  const [editing, setEditing] = useState(false);
  const id = useId();
  const zones = useMemo(() => {
    const all = allTimeZones();
    return all.includes(value) ? all : [value, ...all];
  }, [value]);
  const select = useRef<HTMLSelectElement>(null);
  useEffect(() => {
    if (editing) select.current?.focus();
  }, [editing]);
  if (!editing) {
    return (
      <p className="tz-line">
        Times in <strong>{value.replace(/_/g, ' ')}</strong> —{' '}
        <button type="button" className="link-button" onClick={() => setEditing(true)}>
          change<span className="visually-hidden"> time zone</span>
        </button>
      </p>
    );
  }
  return (
    <div className="field tz-field">
      <label htmlFor={id}>Time zone</label>
      <div className="row">
        <select
          id={id}
          ref={select}
          value={value}
          onChange={(e) => {
            onChange(e.target.value);
          }}
        >
          {zones.map((z) => (
            <option key={z} value={z}>
              {z.replace(/_/g, ' ')}
            </option>
          ))}
        </select>
        <button type="button" className="button" onClick={() => setEditing(false)}>
          Done
        </button>
      </div>
    </div>
  );
}

/**
 * The slot picked in a SlotPicker, and `slotTaken` for when booking it finds it gone: the picker
 * comes back with that start marked as taken and its times fetched again.
 */
export function usePickedSlot() {
  const [slot, setSlot] = useState<Slot | null>(null);
  const [taken, setTaken] = useState<string | null>(null);
  const [refreshKey, setRefreshKey] = useState(0);
  const slotTaken = (start: string) => {
    setTaken(start);
    setSlot(null);
    setRefreshKey((k) => k + 1);
  };
  return { slot, setSlot, taken, refreshKey, slotTaken };
}

/**
 * Picks one of a service's slots: a month calendar with the free days marked, then the times of
 * the chosen day, all in the viewer's time zone (`timeZone`, changeable when `onTimeZoneChange`).
 */
export function SlotPicker({
  slug,
  service,
  practiceTimeZone,
  timeZone,
  onTimeZoneChange,
  onPick,
  takenStart,
  refreshKey = 0,
  exclude,
}: {
  slug: string;
  service: Service;
  practiceTimeZone: string;
  timeZone: string;
  onTimeZoneChange?: (zone: string) => void;
  onPick: (slot: Slot) => void;
  /** A start that was just taken: the nearest free times are offered. */
  takenStart?: string | null;
  refreshKey?: number;
  /** A start not to offer (the booking being moved). */
  exclude?: string;
}) {
  const today = todayIn(timeZone);
  const [[year, month], setMonth] = useState<[number, number]>(() => {
    const [y, m] = today.split('-').map(Number) as [number, number];
    return [y, m];
  });
  const [slots, setSlots] = useState<Slot[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [autoAdvanced, setAutoAdvanced] = useState(false);
  const timesHeading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    const controller = new AbortController();
    const practiceToday = todayIn(practiceTimeZone);
    let from = addDays(monthStart(year, month), -2);
    if (from < practiceToday) from = practiceToday;
    const to = addDays(monthStart(year, month), daysInMonth(year, month) + 1);
    setSlots(null);
    setError(null);
    if (to < from) {
      setSlots([]);
      return;
    }
    api
      .get<{ timeZone: string; slots: Slot[] }>(`/public/${encodeURIComponent(slug)}/services/${encodeURIComponent(service.id)}/slots?from=${from}&to=${to}`, {
        signal: controller.signal,
      })
      .then(
        (result) => setSlots(result.slots.filter((s) => s.start !== exclude)),
        (e: unknown) => {
          if (!(e instanceof DOMException)) setError(e);
        },
      );
    return () => controller.abort();
  }, [slug, service.id, practiceTimeZone, year, month, refreshKey, exclude]);

  const byDay = useMemo(() => {
    const map = new Map<string, Slot[]>();
    for (const slot of slots ?? []) {
      const key = dateKey(slot.start, timeZone);
      if (!key.startsWith(monthStart(year, month).slice(0, 8))) continue;
      const list = map.get(key) ?? [];
      list.push(slot);
      map.set(key, list);
    }
    return map;
  }, [slots, timeZone, year, month]);

  const marked = useMemo(() => new Set(byDay.keys()), [byDay]);

  // Choose a day: keep the selected one if it still has times, else the first free day.
  useEffect(() => {
    if (!slots) return;
    if (selected && byDay.has(selected)) return;
    const takenDay = takenStart ? dateKey(takenStart, timeZone) : null;
    const first = takenDay && byDay.has(takenDay) ? takenDay : [...byDay.keys()].sort()[0];
    if (first) setSelected(first);
    else if (!autoAdvanced && byDay.size === 0 && !selected) {
      // Nothing left this month: look at the next one once.
      setAutoAdvanced(true);
      setMonth(shiftMonth(year, month, 1));
    }
  }, [slots, byDay, selected, takenStart, timeZone, autoAdvanced, year, month]);

  const times = selected ? (byDay.get(selected) ?? []) : [];
  const nearest = useMemo(() => {
    if (!takenStart || !slots) return [];
    const t = Date.parse(takenStart);
    return [...slots].sort((a, b) => Math.abs(Date.parse(a.start) - t) - Math.abs(Date.parse(b.start) - t)).slice(0, 3);
  }, [takenStart, slots]);

  return (
    <div className="slot-picker">
      {onTimeZoneChange && <TimeZonePicker value={timeZone} onChange={onTimeZoneChange} />}
      {takenStart && (
        <div className="notice notice-warning" role="alert">
          <p>That time was just taken — pick another time.</p>
          {nearest.length > 0 && (
            <>
              <p>The nearest free times:</p>
              <ul className="time-list">
                {nearest.map((slot) => (
                  <li key={slot.start}>
                    <button type="button" className="time" onClick={() => onPick(slot)}>
                      {formatDay(slot.start, timeZone)}, {formatTime(slot.start, timeZone)}
                    </button>
                  </li>
                ))}
              </ul>
            </>
          )}
        </div>
      )}
      <div className="picker-grid">
        <MonthCalendar
          year={year}
          month={month}
          marked={marked}
          selected={selected}
          today={today}
          onMonthChange={(y, m) => {
            setMonth([y, m]);
            setSelected(null);
            setAutoAdvanced(true);
          }}
          onSelect={(date) => {
            setSelected(date);
            if (byDay.has(date)) window.setTimeout(() => timesHeading.current?.focus(), 0);
          }}
        />
        <div className="times">
          {error ? (
            <ErrorBox error={error} />
          ) : !slots ? (
            <Loading label="Looking for free times…" />
          ) : (
            <>
              <h3 ref={timesHeading} tabIndex={-1}>
                {selected ? `Times on ${dayLabel(selected)}` : `No free times in ${monthLabel(year, month)}`}
              </h3>
              {selected && times.length === 0 && <p className="empty">No free times on this day. Days with free times are marked with a dot.</p>}
              {!selected && (
                <p className="empty">
                  Try the next month.{' '}
                  <button type="button" className="link-button" onClick={() => setMonth(shiftMonth(year, month, 1))}>
                    Show {monthLabel(...shiftMonth(year, month, 1))}
                  </button>
                </p>
              )}
              <ul className="time-list">
                {times.map((slot) => (
                  <li key={slot.start}>
                    <button type="button" className="time" onClick={() => onPick(slot)} aria-label={`${formatDay(slot.start, timeZone)}, ${formatTime(slot.start, timeZone)}`}>
                      {formatTime(slot.start, timeZone)}
                      {service.capacity > 1 && <span className="places"> · {slot.remaining} left</span>}
                    </button>
                  </li>
                ))}
              </ul>
            </>
          )}
        </div>
      </div>
    </div>
  );
}
