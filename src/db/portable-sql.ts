import { sql, type RawBuilder } from 'kysely';
import type { DialectName } from './create-db.js';

type Fragment = RawBuilder<unknown>;

/**
 * The few SQL expressions that SQLite and PostgreSQL spell differently, behind one interface, so
 * read-only checks (verify) run the same statements on both. Instants follow the schema's
 * convention, ISO-8601 UTC with milliseconds (`2026-03-03T09:00:00.000Z`), which compare as text.
 */
export interface PortableSql {
  /** `instant` moved by `minutes` (an integer expression, may be negative), in the same ISO form. */
  plusMinutes(instant: Fragment, minutes: Fragment): RawBuilder<string>;
  /** The text of a top-level field of a JSON object stored as text; null when absent or the text is null. */
  jsonText(json: Fragment, field: string): RawBuilder<string | null>;
  /** Whether a JSON array of strings stored as text holds `value`. */
  jsonArrayIncludes(jsonArray: Fragment, value: Fragment): RawBuilder<unknown>;
}

const sqlite: PortableSql = {
  plusMinutes: (instant, minutes) => sql<string>`strftime('%Y-%m-%dT%H:%M:%fZ', ${instant}, (${minutes}) || ' minutes')`,
  jsonText: (json, field) => sql<string | null>`json_extract(${json}, ${sql.lit(`$.${field}`)})`,
  jsonArrayIncludes: (jsonArray, value) => sql`exists (select 1 from json_each(${jsonArray}) as j where j.value = ${value})`,
};

const postgres: PortableSql = {
  plusMinutes: (instant, minutes) =>
    sql<string>`to_char((cast(${instant} as timestamptz) + (${minutes}) * interval '1 minute') at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`,
  jsonText: (json, field) => sql<string | null>`(cast(${json} as json) ->> ${sql.lit(field)})`,
  jsonArrayIncludes: (jsonArray, value) => sql`exists (select 1 from json_array_elements_text(cast(${jsonArray} as json)) as j(value) where j.value = ${value})`,
};

export function portableSql(dialect: DialectName): PortableSql {
  return dialect === 'postgres' ? postgres : sqlite;
}
