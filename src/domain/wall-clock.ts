/**
 * Wall-clock time in an IANA zone, as integer arithmetic over a table of the zone's offsets.
 *
 * Asking the runtime for a zone's offset (Intl, through luxon) costs ~9 µs a call here; the slot
 * engine needs a few per day of every listing. The offsets of a zone are a step function that
 * changes a few times a year, so each 128-day chunk of it is read once (a sample a day, then a
 * binary search to the millisecond where two samples differ) and kept: after that an offset is a
 * lookup. The table is a cache of the runtime's tz database, which does not change while the
 * process runs, so every function here stays a pure function of its arguments.
 */
import { IANAZone } from 'luxon';
import { assert } from './errors.js';
import { DAY_MS, MINUTE_MS } from './instants.js';

const CHUNK_MS = 128 * DAY_MS;
/** Chunks kept per zone (~45 years); past that the zone's table starts again, so memory stays bounded. */
const CHUNKS_PER_ZONE_MAX = 128;
/** Zones kept; a server sees as many zones as its practices use, a few hundred at most. */
const ZONES_MAX = 1_000;

/** The zone's offsets over one chunk: `offsets[i]` (ms) holds from `changes[i - 1]` (or the chunk's start). */
interface Chunk { changes: number[]; offsets: number[] }

export class ZoneOffsets {
  private readonly chunks = new Map<number, Chunk>();
  private readonly zone: IANAZone;

  constructor(name: string) {
    this.zone = IANAZone.create(name);
    assert(this.zone.isValid, `invalid time zone: ${name}`);
  }

  /** The zone's offset from UTC at the instant, in milliseconds (local = instant + offset). */
  offsetAt(instant: number): number {
    const { changes, offsets } = this.chunkOf(instant);
    let i = 0;
    while (i < changes.length && (changes[i] as number) <= instant) i++;
    return offsets[i] as number;
  }

  /** The first instant after `instant` at which the offset changes (within the next chunk), or null. */
  nextChange(instant: number): number | null {
    for (const at of [instant, instant + CHUNK_MS]) {
      const change = this.chunkOf(at).changes.find((c) => c > instant);
      if (change !== undefined) return change;
    }
    return null;
  }

  private chunkOf(instant: number): Chunk {
    const index = Math.floor(instant / CHUNK_MS);
    let chunk = this.chunks.get(index);
    if (!chunk) {
      if (this.chunks.size >= CHUNKS_PER_ZONE_MAX) this.chunks.clear();
      chunk = this.readChunk(index * CHUNK_MS);
      this.chunks.set(index, chunk);
    }
    return chunk;
  }

  /**
   * Samples the offset once a day and finds each change to the millisecond. Two changes less than a
   * day apart (none in the tz database since zones stopped using local mean time) would be missed.
   */
  private readChunk(from: number): Chunk {
    const runtimeOffset = (t: number) => this.zone.offset(t) * MINUTE_MS;
    const changes: number[] = [];
    const offsets = [runtimeOffset(from)];
    for (let t = from; t < from + CHUNK_MS; t += DAY_MS) {
      const next = Math.min(t + DAY_MS, from + CHUNK_MS - 1);
      const after = runtimeOffset(next);
      if (after === offsets[offsets.length - 1]) continue;
      let lo = t; // offset as before
      let hi = next; // offset as after
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if (runtimeOffset(mid) === after) hi = mid;
        else lo = mid;
      }
      changes.push(hi);
      offsets.push(after);
    }
    return { changes, offsets };
  }
}

const zones = new Map<string, ZoneOffsets>();

/** The (shared, cached) offset table of a zone; asserts the zone exists. */
export function zoneOffsets(name: string): ZoneOffsets {
  let zone = zones.get(name);
  if (!zone) {
    if (zones.size >= ZONES_MAX) zones.clear();
    zone = new ZoneOffsets(name);
    zones.set(name, zone);
  }
  return zone;
}

/** Days since 1970-01-01 of a 'YYYY-MM-DD' calendar date, or null when it is not one. */
export function parseEpochDay(date: string): number | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!match) return null;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  // Not Date.UTC, which reads years 0–99 as 1900–1999.
  const back = new Date(0);
  back.setUTCFullYear(year, month - 1, day);
  const valid = back.getUTCFullYear() === year && back.getUTCMonth() === month - 1 && back.getUTCDate() === day;
  return valid ? back.getTime() / DAY_MS : null;
}

/** Days since 1970-01-01 of a 'YYYY-MM-DD' calendar date; asserts it is one. */
export function epochDay(date: string): number {
  const day = parseEpochDay(date);
  assert(day !== null, `invalid date: ${date}`);
  return day;
}

/** ISO weekday (Monday 1 … Sunday 7) of a day since 1970-01-01, a Thursday. */
export function isoWeekday(day: number): number {
  return ((((day + 3) % 7) + 7) % 7) + 1;
}

/** Minutes after midnight of 'HH:MM' (00:00–24:00); asserts the form. */
export function minutesOfDay(time: string): number {
  const match = /^(\d\d):(\d\d)$/.exec(time);
  const minutes = match ? Number(match[1]) * 60 + Number(match[2]) : NaN;
  assert(match !== null && Number(match[2]) < 60 && minutes <= 24 * 60, `invalid wall clock: ${time}`);
  return minutes;
}

/**
 * The instant of the wall-clock time `minutes` after midnight (0–1440) of `day` in the zone, as an
 * interval boundary.
 *
 * DST decisions, so that an interval always covers all the wall-clock time the practitioner wrote:
 * - 24:00 is the first instant of the next day, even where midnight happens twice (Havana).
 * - A time in a spring-forward gap (does not exist) becomes the first instant after the gap
 *   (Berlin 2026-03-29 02:30 -> 03:00 CEST).
 * - An ambiguous time (fall back, happens twice) is the EARLIER instant as a start and the LATER
 *   instant as an end. Except an end at exactly the first repeated minute (Los Angeles 2026-11-01
 *   01:00, where 02:00 PDT falls back to 01:00 PST): the clock never goes below that time again,
 *   so the repeated hour lies after the hours written and the end is the EARLIER instant (01:00
 *   PDT), as for 24:00 in Havana. An end is the instant from which the wall clock stays at or past it.
 */
export function wallClockInstant(day: number, minutes: number, zone: ZoneOffsets, edge: 'start' | 'end'): number {
  if (minutes === 24 * 60) return wallClockInstant(day + 1, 0, zone, 'start');
  const local = day * DAY_MS + minutes * MINUTE_MS;
  // Offsets never exceed ±14 h, so the instants that read `local` lie within a day of it, and the
  // offsets a day before and after are the only ones that can apply (one change at most between).
  const before = zone.offsetAt(local - DAY_MS);
  const after = zone.offsetAt(local + DAY_MS);
  const readings = (before === after ? [before] : [before, after])
    .map((offset) => local - offset)
    .filter((instant) => zone.offsetAt(instant) === local - instant);
  if (readings.length === 0) {
    // In a gap: the change into the later offset happens between the two candidate instants.
    const change = zone.nextChange(local - after);
    assert(change !== null, `no offset change around a gap at ${local}`);
    return change;
  }
  const earlier = Math.min(...readings);
  const later = Math.max(...readings);
  if (edge === 'start' || later === earlier) return earlier;
  // The later instant only if the clock fell back BELOW the time in between, i.e. unless the
  // fall-back happens exactly at `later` (the offset changes there).
  return zone.offsetAt(later - 1) === zone.offsetAt(later) ? later : earlier;
}
