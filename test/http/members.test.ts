import type { LightMyRequestResponse } from 'fastify';
import { expect, it } from 'vitest';
import { latestMail, sessionCookie, signUpPractitioner, unique, type Practitioner } from '../support/api.js';
import { cleanUp } from '../../src/jobs/cleanup.js';
import { describeEachDialect } from '../support/app.js';

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
const PASSWORD = 'a new member password';

describeEachDialect('members, invitations and practices', (ctx) => {
  const call = (method: Method, url: string, headers: Record<string, string> = {}, payload?: object) =>
    ctx.app.inject({ method, url: `/api/v1${url}`, headers, ...(payload ? { payload } : {}) });
  const ok = (res: LightMyRequestResponse, status = 200) => {
    expect(res.statusCode, res.body).toBe(status);
    return res.statusCode === 204 ? null : res.json();
  };
  const problem = (res: LightMyRequestResponse, status: number, code: string) => {
    expect(res.statusCode, res.body).toBe(status);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json().code).toBe(code);
  };

  /** The token of the newest invitation mailed to `email`. */
  async function invitationToken(email: string): Promise<string> {
    const mail = await latestMail(ctx, email);
    const token = /\/app\/invitation\?token=([\w%-]+)/.exec(mail!.text)?.[1];
    expect(token, mail?.text).toBeDefined();
    return decodeURIComponent(token!);
  }

  /** Invites `email` into `owner`'s practice and accepts it; answers the new member's session headers and the account. */
  async function join(owner: Practitioner, role: 'owner' | 'practitioner' | 'assistant', email = `${unique('m')}@example.com`, password = PASSWORD) {
    const member = ok(await call('POST', '/members', owner.headers, { email, name: `New ${role}`, role }), 201);
    const accepted = await call('POST', '/auth/invitation/accept', {}, { token: await invitationToken(email), password });
    const account = ok(accepted);
    return { member, account, email, headers: { cookie: sessionCookie(accepted.headers['set-cookie'], 'tb_session') } };
  }

  it('makes whoever signs up the owner of their practice, and lists them as its one member', async () => {
    const owner = await signUpPractitioner(ctx);
    const session = ok(await call('GET', '/auth/session', owner.headers));
    expect(session).toMatchObject({
      user: { id: owner.user.id, email: owner.email },
      practice: { id: owner.practice.id },
      member: { email: owner.email, name: 'Dana Coach', role: 'owner', active: true, timeZone: 'Europe/London', joinedAt: expect.any(String) },
      practices: [{ id: owner.practice.id, name: 'Dana Coaching', slug: owner.practice.slug, role: 'owner' }],
    });
    expect(ok(await call('GET', '/members', owner.headers))).toEqual({ items: [session.member], nextCursor: null });
  });

  it('invites a new person by mail: they choose a password with the one-time link and are signed in as the member', async () => {
    const owner = await signUpPractitioner(ctx);
    const email = `${unique('Ann')}@Example.com`;
    const invited = ok(await call('POST', '/members', owner.headers, { email, name: 'Ann Assistant', role: 'assistant' }), 201);
    expect(invited).toEqual({ id: expect.any(String), email: email.toLowerCase(), name: 'Ann Assistant', role: 'assistant', active: true, timeZone: 'Europe/London', joinedAt: null });
    const mail = await latestMail(ctx, email.toLowerCase());
    expect(mail!.subject).toBe('Dana Coach invited you to Dana Coaching on Tallybook');
    expect(mail!.text).toContain('choose a password');
    expect(mail!.text).toContain('works once, for 24 hours');
    const token = await invitationToken(email.toLowerCase());
    expect(await ctx.db.kysely.selectFrom('member_invitations').select('token_hash').where('token_hash', '=', token).executeTakeFirst()).toBeUndefined(); // stored hashed

    // Not a member yet: no login.
    problem(await call('POST', '/auth/login', {}, { email, password: PASSWORD }), 401, 'unauthenticated');
    problem(await call('POST', '/auth/invitation/accept', {}, { token, password: 'short' }), 400, 'validation_failed');

    const accepted = await call('POST', '/auth/invitation/accept', {}, { token, password: PASSWORD });
    expect(ok(accepted)).toMatchObject({ practice: { id: owner.practice.id }, member: { id: invited.id, role: 'assistant', joinedAt: '2026-03-02T08:00:00.000Z' }, practices: [{ id: owner.practice.id, role: 'assistant' }] });
    const headers = { cookie: sessionCookie(accepted.headers['set-cookie'], 'tb_session') };
    expect(ok(await call('GET', '/auth/session', headers)).member.id).toBe(invited.id);

    // Single use.
    problem(await call('POST', '/auth/invitation/accept', {}, { token, password: PASSWORD }), 400, 'validation_failed');
    // Their password now signs them in.
    expect(ok(await call('POST', '/auth/login', {}, { email, password: PASSWORD })).member.id).toBe(invited.id);
    expect(ok(await call('GET', '/members', owner.headers)).items.map((m: { name: string; joinedAt: string | null }) => [m.name, m.joinedAt !== null])).toEqual([
      ['Ann Assistant', true],
      ['Dana Coach', true],
    ]);
  });

  it('lets an invitation link expire after 24 hours, and a new link replaces the old one', async () => {
    const owner = await signUpPractitioner(ctx);
    const email = `${unique('late')}@example.com`;
    const invited = ok(await call('POST', '/members', owner.headers, { email, name: 'Late Larry', role: 'practitioner' }), 201);
    const first = await invitationToken(email);
    ctx.clock.advance(24 * 60 * 60_000 + 1);
    try {
      problem(await call('POST', '/auth/invitation/accept', {}, { token: first, password: PASSWORD }), 400, 'validation_failed');
      ok(await call('POST', `/members/${invited.id}/invitation`, owner.headers), 201);
      const second = await invitationToken(email);
      expect(second).not.toBe(first);
      ok(await call('POST', '/auth/invitation/accept', {}, { token: second, password: PASSWORD }));
      problem(await call('POST', `/members/${invited.id}/invitation`, owner.headers), 409, 'conflict');
      // The cleanup sweep forgets used and expired links; the membership stays.
      expect((await cleanUp(ctx.db, { retentionDays: 30 }, ctx.clock.now())).memberInvitations).toBeGreaterThanOrEqual(1);
      expect(await ctx.db.kysely.selectFrom('member_invitations').select('token_hash').where('member_id', '=', invited.id).execute()).toEqual([]);
      expect(ok(await call('GET', '/members', owner.headers)).items.find((m: { id: string }) => m.id === invited.id).joinedAt).not.toBeNull();
    } finally {
      ctx.clock.set('2026-03-02T08:00:00.000Z');
    }
  });

  it('joins an existing account to a second practice with that account’s own password, and lets it switch between them', async () => {
    const first = await signUpPractitioner(ctx);
    const second = await signUpPractitioner(ctx, { practiceName: 'Second Studio' });
    ok(await call('POST', '/members', second.headers, { email: first.email, name: 'Dana at Second', role: 'practitioner' }), 201);
    const mail = await latestMail(ctx, first.email);
    expect(mail!.text).toContain('confirm with your Tallybook password');
    const token = await invitationToken(first.email);

    problem(await call('POST', '/auth/invitation/accept', {}, { token, password: 'not the password at all' }), 401, 'unauthenticated');
    const accepted = await call('POST', '/auth/invitation/accept', {}, { token, password: first.password });
    const account = ok(accepted);
    expect(account).toMatchObject({ user: { id: first.user.id }, practice: { id: second.practice.id }, member: { role: 'practitioner', name: 'Dana at Second' } });
    expect(account.practices.map((p: { name: string; role: string }) => [p.name, p.role])).toEqual([
      ['Dana Coaching', 'owner'],
      ['Second Studio', 'practitioner'],
    ]);
    const headers = { cookie: sessionCookie(accepted.headers['set-cookie'], 'tb_session') };

    // As a practitioner in Second Studio: no settings.
    problem(await call('PATCH', '/practice', headers, { name: 'Mine now' }), 403, 'forbidden');
    // Switch to the practice they own: the same session acts there, with that role.
    const switched = ok(await call('POST', '/auth/switch', headers, { practiceId: first.practice.id }));
    expect(switched).toMatchObject({ practice: { id: first.practice.id }, member: { role: 'owner' } });
    expect(ok(await call('GET', '/practice', headers)).id).toBe(first.practice.id);
    ok(await call('PATCH', '/practice', headers, { name: 'Dana Coaching' }));
    // A practice they are not a member of is not found.
    const stranger = await signUpPractitioner(ctx);
    problem(await call('POST', '/auth/switch', headers, { practiceId: stranger.practice.id }), 404, 'not_found');
    problem(await call('POST', '/auth/switch', headers, { practiceId: 'no-such-practice' }), 404, 'not_found');
    // An API token stays in the practice it was made in.
    const token2 = ok(await call('POST', '/tokens', headers, { name: 'script' }), 201).token as string;
    problem(await call('POST', '/auth/switch', { authorization: `Bearer ${token2}` }, { practiceId: second.practice.id }), 403, 'forbidden');
    // Login picks the practice joined first.
    expect(ok(await call('POST', '/auth/login', {}, { email: first.email, password: first.password })).practice.id).toBe(first.practice.id);
  });

  it('refuses a second invitation of the same email, and invitations of the same person by two practices both work', async () => {
    const a = await signUpPractitioner(ctx);
    const b = await signUpPractitioner(ctx);
    const email = `${unique('both')}@example.com`;
    ok(await call('POST', '/members', a.headers, { email, name: 'Both', role: 'assistant' }), 201);
    problem(await call('POST', '/members', a.headers, { email: email.toUpperCase(), name: 'Again', role: 'owner' }), 409, 'conflict');
    problem(await call('POST', '/members', a.headers, { email: a.email, name: 'Myself', role: 'owner' }), 409, 'conflict');
    const tokenA = await invitationToken(email);
    ok(await call('POST', '/members', b.headers, { email, name: 'Both', role: 'practitioner' }), 201);
    const tokenB = await invitationToken(email);
    ok(await call('POST', '/auth/invitation/accept', {}, { token: tokenA, password: PASSWORD }));
    // The account now has a password: B's link asks for it.
    problem(await call('POST', '/auth/invitation/accept', {}, { token: tokenB, password: 'another new password' }), 401, 'unauthenticated');
    expect(ok(await call('POST', '/auth/invitation/accept', {}, { token: tokenB, password: PASSWORD })).practices).toHaveLength(2);
  });

  it('lets someone invited but not joined yet sign up with their own practice, and then join with that password', async () => {
    const owner = await signUpPractitioner(ctx);
    const email = `${unique('both-ways')}@example.com`;
    ok(await call('POST', '/members', owner.headers, { email, name: 'Kim', role: 'practitioner' }), 201);
    const token = await invitationToken(email);
    const signedUp = ok(await call('POST', '/signup', {}, { email, password: 'kim has a password', name: 'Kim', practiceName: 'Kim Studio', slug: unique('kim-'), timeZone: 'Europe/Paris' }), 201);
    expect(signedUp.practices.map((p: { name: string }) => p.name)).toEqual(['Kim Studio']);
    problem(await call('POST', '/auth/invitation/accept', {}, { token, password: PASSWORD }), 401, 'unauthenticated');
    expect(ok(await call('POST', '/auth/invitation/accept', {}, { token, password: 'kim has a password' })).practices).toHaveLength(2);
    // Signing up again with an account that has a password is still refused.
    problem(await call('POST', '/signup', {}, { email, password: 'kim has a password', name: 'Kim', practiceName: 'Kim Again', slug: unique('kim-'), timeZone: 'Europe/Paris' }), 409, 'conflict');
  });

  it('renames, changes roles and deactivates; a deactivated member’s sessions and API tokens stop working there', async () => {
    const owner = await signUpPractitioner(ctx);
    const { member, headers } = await join(owner, 'practitioner');
    const apiToken = ok(await call('POST', '/tokens', headers, { name: 'script' }), 201).token as string;
    const bearer = { authorization: `Bearer ${apiToken}` };
    ok(await call('GET', '/clients', bearer));

    expect(ok(await call('PATCH', `/members/${member.id}`, owner.headers, { name: 'Pat Practitioner', role: 'assistant' }))).toMatchObject({ name: 'Pat Practitioner', role: 'assistant', active: true });
    // The new role applies to the live session at once.
    expect(ok(await call('GET', '/auth/session', headers)).member).toMatchObject({ role: 'assistant', name: 'Pat Practitioner' });
    problem(await call('POST', '/clients/no-such-client/grants', headers, { credits: 1, reason: 'gift' }), 403, 'forbidden');

    expect(ok(await call('PATCH', `/members/${member.id}`, owner.headers, { active: false })).active).toBe(false);
    problem(await call('GET', '/clients', headers), 401, 'unauthenticated');
    problem(await call('GET', '/clients', bearer), 401, 'unauthenticated');
    // No other practice to act in: signing in is refused.
    problem(await call('POST', '/auth/login', {}, { email: member.email, password: PASSWORD }), 403, 'forbidden');

    ok(await call('PATCH', `/members/${member.id}`, owner.headers, { active: true }));
    // Reactivated: a new sign-in works; what was ended stays ended.
    expect(ok(await call('POST', '/auth/login', {}, { email: member.email, password: PASSWORD })).member.id).toBe(member.id);
    problem(await call('GET', '/clients', headers), 401, 'unauthenticated');
    problem(await call('GET', '/clients', bearer), 401, 'unauthenticated');
  });

  it('never leaves a practice without an active owner: the last one cannot be demoted, deactivated or removed', async () => {
    const owner = await signUpPractitioner(ctx);
    const self = ok(await call('GET', '/auth/session', owner.headers)).member;
    for (const patch of [{ role: 'practitioner' }, { role: 'assistant' }, { active: false }]) {
      problem(await call('PATCH', `/members/${self.id}`, owner.headers, patch), 409, 'conflict');
    }
    problem(await call('DELETE', `/members/${self.id}`, owner.headers), 409, 'conflict');
    // An invited owner who has not joined does not count.
    const pending = ok(await call('POST', '/members', owner.headers, { email: `${unique('pending')}@example.com`, name: 'Pending Owner', role: 'owner' }), 201);
    problem(await call('DELETE', `/members/${self.id}`, owner.headers), 409, 'conflict');
    ok(await call('DELETE', `/members/${pending.id}`, owner.headers), 204);

    const partner = await join(owner, 'owner');
    expect(ok(await call('PATCH', `/members/${self.id}`, owner.headers, { role: 'practitioner' })).role).toBe('practitioner');
    // Now a practitioner: the members are the other owner's to manage.
    problem(await call('PATCH', `/members/${self.id}`, owner.headers, { role: 'owner' }), 403, 'forbidden');
    problem(await call('PATCH', `/members/${partner.member.id}`, partner.headers, { active: false }), 409, 'conflict');
    ok(await call('PATCH', `/members/${self.id}`, partner.headers, { role: 'owner' }));
  });

  it('lets only one of two owners demoting each other at once succeed', async () => {
    const owner = await signUpPractitioner(ctx);
    const self = ok(await call('GET', '/auth/session', owner.headers)).member;
    const partner = await join(owner, 'owner');
    const results = await Promise.all([
      call('PATCH', `/members/${partner.member.id}`, owner.headers, { role: 'assistant' }),
      call('PATCH', `/members/${self.id}`, partner.headers, { role: 'assistant' }),
    ]);
    // The loser is refused either as the last owner (409) or, when the winner went first, as no owner any more (403).
    expect(results.filter((r) => r.statusCode === 200), results.map((r) => r.body).join('\n')).toHaveLength(1);
    expect(results.map((r) => r.statusCode).filter((s) => s !== 200)).toEqual([expect.toBeOneOf([403, 409])]);
    const owners = ok(await call('GET', '/members', owner.headers)).items.filter((m: { role: string }) => m.role === 'owner');
    expect(owners).toHaveLength(1);
  });

  it('removes a member: their account stays, their access to the practice and their pending link go', async () => {
    const owner = await signUpPractitioner(ctx);
    const { member, headers } = await join(owner, 'assistant');
    ok(await call('DELETE', `/members/${member.id}`, owner.headers), 204);
    problem(await call('GET', '/bookings', headers), 401, 'unauthenticated');
    problem(await call('DELETE', `/members/${member.id}`, owner.headers), 404, 'not_found');
    problem(await call('PATCH', `/members/${member.id}`, owner.headers, { name: 'Ghost' }), 404, 'not_found');
    expect(await ctx.db.kysely.selectFrom('users').select('id').where('email', '=', member.email).executeTakeFirst()).toBeDefined();

    const email = `${unique('never')}@example.com`;
    const invited = ok(await call('POST', '/members', owner.headers, { email, name: 'Never Joined', role: 'practitioner' }), 201);
    const token = await invitationToken(email);
    ok(await call('DELETE', `/members/${invited.id}`, owner.headers), 204);
    problem(await call('POST', '/auth/invitation/accept', {}, { token, password: PASSWORD }), 400, 'validation_failed');
  });

  it('refuses the invitation of a member deactivated before they accepted it', async () => {
    const owner = await signUpPractitioner(ctx);
    const email = `${unique('off')}@example.com`;
    const invited = ok(await call('POST', '/members', owner.headers, { email, name: 'Switched Off', role: 'assistant' }), 201);
    const token = await invitationToken(email);
    ok(await call('PATCH', `/members/${invited.id}`, owner.headers, { active: false }));
    problem(await call('POST', '/auth/invitation/accept', {}, { token, password: PASSWORD }), 400, 'validation_failed');
    problem(await call('POST', `/members/${invited.id}/invitation`, owner.headers), 409, 'conflict');
  });

  it('sends the practitioner’s copy of a booking to the active owners only', async () => {
    const owner = await signUpPractitioner(ctx);
    const partner = await join(owner, 'owner');
    const assistant = await join(owner, 'assistant');
    await call('PUT', '/availability', owner.headers, { weekly: [{ weekday: 3, start: '09:00', end: '17:00' }], overrides: [] });
    const service = ok(await call('POST', '/services', owner.headers, { name: 'Walk', durationMinutes: 60 }), 201);
    const client = ok(await call('POST', '/clients', assistant.headers, { email: `${unique('c')}@example.com`, name: 'Cleo Client' }), 201);
    ok(await call('PATCH', `/services/${service.id}`, owner.headers, { price: null }));
    ok(await call('POST', `/clients/${client.id}/grants`, owner.headers, { credits: 1, reason: 'trial' }), 201);
    ok(await call('POST', '/bookings', assistant.headers, { clientId: client.id, serviceId: service.id, start: '2026-03-04T09:00:00.000Z' }), 201);
    await ctx.app.deps.mail.idle();
    const to = (await ctx.db.kysely.selectFrom('mail_outbox').select('to_address').where('subject', 'like', 'New booking: Cleo Client%').execute()).map((r) => r.to_address).sort();
    expect(to).toEqual([owner.email, partner.email].sort());
  });

  it('answers 400 for bad member input and 404 for another practice’s member', async () => {
    const owner = await signUpPractitioner(ctx);
    const other = await signUpPractitioner(ctx);
    const theirs = ok(await call('GET', '/auth/session', other.headers)).member;
    problem(await call('POST', '/members', owner.headers, { email: 'not-an-email', name: 'X', role: 'boss' }), 400, 'validation_failed');
    const paths = (await call('POST', '/members', owner.headers, { email: 'not-an-email', name: 'X', role: 'boss' })).json().errors.map((e: { path: string }) => e.path);
    expect(new Set(paths)).toEqual(new Set(['/email', '/role']));
    problem(await call('PATCH', `/members/${theirs.id}`, owner.headers, { unknown: 1 }), 400, 'validation_failed');
    problem(await call('PATCH', `/members/${theirs.id}`, owner.headers, { role: 'assistant' }), 404, 'not_found');
    problem(await call('DELETE', `/members/${theirs.id}`, owner.headers), 404, 'not_found');
    problem(await call('POST', '/auth/invitation/accept', {}, { token: 'tbi_nothing', password: PASSWORD }), 400, 'validation_failed');
  });
});

