import type { Db, Trx } from '../db/create-db.js';
import type { MemberRole } from '../db/schema.js';
import { DomainError } from '../domain/errors.js';
import { HOUR_MS, iso } from '../domain/instants.js';
import { newId, newSecret, sha256 } from '../lib/ids.js';
import { enqueueMail } from '../mail/outbox.js';
import { memberInvitation } from '../mail/templates.js';
import { INVITATION_TTL_HOURS, memberOfPractice, MEMBERS_PER_PRACTICE_MAX, type MemberWithEmail } from './member-rules.js';

type Inviter = { practiceId: string; memberId: string };

/** Where an invitation's link leads: the web page that asks for the password. */
export function invitationUrl(publicUrl: string, token: string): string {
  return `${publicUrl}/app/invitation?token=${encodeURIComponent(token)}`;
}

/**
 * Adds a member by email and mails them a one-time link. An email without an account gets one
 * without a password (set when the link is opened); an existing account joins when its owner
 * opens the link and confirms with their password. Runs in the caller's transaction (idempotent POST).
 */
export async function inviteMember(
  db: Db,
  trx: Trx,
  caller: Inviter,
  input: { email: string; name: string; role: MemberRole },
  options: { publicUrl: string },
  now: Date,
): Promise<MemberWithEmail> {
  const email = input.email.trim().toLowerCase();
  await db.lockRow(trx, 'practices', caller.practiceId);
  const { count } = await trx
    .selectFrom('members')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('practice_id', '=', caller.practiceId)
    .executeTakeFirstOrThrow();
  if (Number(count) >= MEMBERS_PER_PRACTICE_MAX) throw new DomainError('conflict', `a practice has at most ${MEMBERS_PER_PRACTICE_MAX} members`);
  // Two practices inviting the same new email at once: one insert wins, both use its row.
  await trx
    .insertInto('users')
    .values({ id: newId(), practice_id: caller.practiceId, email, name: input.name, password_hash: '', created_at: iso(now) })
    .onConflict((oc) => oc.column('email').doNothing())
    .execute();
  const user = await trx.selectFrom('users').select(['id', 'password_hash']).where('email', '=', email).executeTakeFirstOrThrow();
  const existing = await trx.selectFrom('members').select('id').where('practice_id', '=', caller.practiceId).where('user_id', '=', user.id).executeTakeFirst();
  if (existing) throw new DomainError('conflict', 'this email is already a member of the practice', { memberId: existing.id });
  const memberId = newId();
  await trx
    .insertInto('members')
    .values({ id: memberId, practice_id: caller.practiceId, user_id: user.id, role: input.role, name: input.name, active: 1, time_zone: null, created_at: iso(now), joined_at: null })
    .execute();
  await sendInvitation(trx, caller, memberId, options, now);
  return memberOfPractice(trx, caller.practiceId, memberId);
}

/** Mails a new link to a member who has not joined yet; links mailed before stop working. */
export async function resendInvitation(db: Db, caller: Inviter, memberId: string, options: { publicUrl: string }, now: Date): Promise<MemberWithEmail> {
  return db.write(async (trx) => {
    const member = await memberOfPractice(trx, caller.practiceId, memberId);
    if (member.joined_at !== null) throw new DomainError('conflict', 'this member has already joined');
    if (member.active !== 1) throw new DomainError('conflict', 'this member is deactivated: activate them first');
    await trx.deleteFrom('member_invitations').where('member_id', '=', memberId).execute();
    await sendInvitation(trx, caller, memberId, options, now);
    return member;
  });
}

async function sendInvitation(trx: Trx, caller: Inviter, memberId: string, options: { publicUrl: string }, now: Date): Promise<void> {
  const token = newSecret('tbi');
  await trx
    .insertInto('member_invitations')
    .values({ token_hash: sha256(token), member_id: memberId, expires_at: iso(now.getTime() + INVITATION_TTL_HOURS * HOUR_MS), used_at: null, created_at: iso(now) })
    .execute();
  const member = await memberOfPractice(trx, caller.practiceId, memberId);
  const user = await trx.selectFrom('users').select('password_hash').where('id', '=', member.user_id).executeTakeFirstOrThrow();
  const practice = await trx.selectFrom('practices').select('name').where('id', '=', caller.practiceId).executeTakeFirstOrThrow();
  const inviter = await trx.selectFrom('members').select('name').where('id', '=', caller.memberId).executeTakeFirstOrThrow();
  const content = memberInvitation({
    practiceName: practice.name,
    inviterName: inviter.name,
    memberName: member.name,
    role: member.role,
    existingAccount: user.password_hash !== '',
    link: invitationUrl(options.publicUrl, token),
    expiresHours: INVITATION_TTL_HOURS,
  });
  await enqueueMail(trx, { practiceId: caller.practiceId, to: member.email, ...content }, now);
}
