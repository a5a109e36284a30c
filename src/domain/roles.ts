/**
 * Who may do what in a practice: every practitioner route declares one permission, and the
 * practitioner auth hook checks it against the caller's role (http/plugins/auth.ts). The one table.
 */
export const ROLES = ['owner', 'practitioner', 'assistant'] as const;
export type Role = (typeof ROLES)[number];

export const PERMISSIONS = {
  /** Their own session, practice switch and API tokens. */
  account: ['owner', 'practitioner', 'assistant'],
  /** Reading the practice, its policy, services, packages, hours and members. */
  'practice.read': ['owner', 'practitioner', 'assistant'],
  /** The calendar: list, book, move, cancel, mark no-show or attended. */
  calendar: ['owner', 'practitioner', 'assistant'],
  /** Clients: list, add, read one's balance and history. */
  clients: ['owner', 'practitioner', 'assistant'],
  /** Fees owed: list them, record one paid at the desk. */
  fees: ['owner', 'practitioner', 'assistant'],
  /** Credits given or taken by hand: grants (a package sold outside too), adjustments, waiving a forfeit or a fee. */
  credits: ['owner', 'practitioner'],
  /** Changing the practice, its policy, services, packages, hours, calendar feed and imported calendars. */
  settings: ['owner'],
  /** Inviting, changing and removing members. */
  members: ['owner'],
  /** The payment settings and refunds. */
  payments: ['owner'],
  /** Erasing a client's personal data. */
  'clients.erase': ['owner'],
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof PERMISSIONS;

export function isPermission(value: unknown): value is Permission {
  return typeof value === 'string' && Object.hasOwn(PERMISSIONS, value);
}

export function can(role: Role, permission: Permission): boolean {
  return (PERMISSIONS[permission] as readonly Role[]).includes(role);
}
