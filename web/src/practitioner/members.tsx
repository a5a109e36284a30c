import { useState, type FormEvent } from 'react';
import { api, ApiError, type Member, type Role } from '../api';
import { formatDate } from '../format';
import { useTitle } from '../router';
import { Dialog, Empty, ErrorBox, Field, fieldError, Loading, Notice, SelectField, useAction, useLoad } from '../ui';
import { useAccount } from './account';

export const ROLE_NAMES: Record<Role, string> = { owner: 'Owner', practitioner: 'Practitioner', assistant: 'Assistant' };
const ROLE_ARTICLES: Record<Role, string> = { owner: 'an owner', practitioner: 'a practitioner', assistant: 'an assistant' };
const ROLE_WORDS: Record<Role, string> = {
  owner: 'everything: settings, team, payments',
  practitioner: 'the calendar and all clients, credits included',
  assistant: 'the calendar and all clients; no credits given by hand',
};

function status(member: Member): string {
  if (!member.active) return 'Turned off';
  if (member.joinedAt === null) return 'Invited, has not joined yet';
  return 'Active';
}

/** The team: who works in the practice and as what; owners invite, change roles and turn access off. */
export function Members() {
  const { account } = useAccount();
  useTitle('Team');
  const isOwner = account.member.role === 'owner';
  const data = useLoad(() => api.get<{ items: Member[] }>('/members').then((r) => r.items), []);
  const [notice, setNotice] = useState<string | null>(null);
  const [removing, setRemoving] = useState<Member | null>(null);
  const { busy, error, run } = useAction();

  const change = (member: Member, patch: Partial<Pick<Member, 'role' | 'active'>>, done: string) =>
    run(async () => {
      await api.patch(`/members/${member.id}`, patch);
      setNotice(done);
      data.reload();
    });
  const resend = (member: Member) =>
    run(async () => {
      await api.post(`/members/${member.id}/invitation`);
      setNotice(`We sent ${member.name} a new link. It works for 24 hours.`);
    });
  const remove = (member: Member) =>
    run(async () => {
      await api.delete(`/members/${member.id}`);
      setRemoving(null);
      setNotice(`${member.name} is no longer in the team.`);
      data.reload();
    });

  if (data.loading && !data.data) return <Loading label="Loading the team…" />;
  if (data.error || !data.data) {
    return (
      <>
        <h1 tabIndex={-1}>Team</h1>
        <ErrorBox error={data.error} />
        <button type="button" className="button" onClick={data.reload}>
          Try again
        </button>
      </>
    );
  }
  const members = data.data;
  return (
    <>
      <h1 tabIndex={-1}>Team</h1>
      <p className="lead">Everyone who works in {account.practice.name}. Each person signs in with their own email and password.</p>
      {notice && <Notice kind="success">{notice}</Notice>}
      <ErrorBox error={error}>{error instanceof ApiError && error.code === 'conflict' ? `${error.message}.` : undefined}</ErrorBox>
      {members.length === 0 ? (
        <Empty>No one yet.</Empty>
      ) : (
        <div className="table-wrap" role="region" aria-label="Team" tabIndex={0}>
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Email</th>
                <th scope="col">Role</th>
                <th scope="col">Status</th>
                {isOwner && <th scope="col">Actions</th>}
              </tr>
            </thead>
            <tbody>
              {members.map((m) => (
                <tr key={m.id}>
                  <th scope="row">
                    {m.name}
                    {m.id === account.member.id && ' (you)'}
                  </th>
                  <td>{m.email}</td>
                  <td className="member-role">
                    {isOwner ? (
                      <SelectField label={<span className="visually-hidden">Role of {m.name}</span>} value={m.role} disabled={busy} onChange={(e) => void change(m, { role: e.target.value as Role }, `${m.name} is now ${ROLE_ARTICLES[e.target.value as Role]}.`)}>
                        {(Object.keys(ROLE_NAMES) as Role[]).map((role) => (
                          <option key={role} value={role}>
                            {ROLE_NAMES[role]}
                          </option>
                        ))}
                      </SelectField>
                    ) : (
                      ROLE_NAMES[m.role]
                    )}
                  </td>
                  <td>
                    {status(m)}
                    {m.joinedAt && m.active && <span className="hint"> since {formatDate(m.joinedAt, account.practice.timeZone)}</span>}
                  </td>
                  {isOwner && (
                    <td>
                      <div className="member-actions">
                        {m.active ? (
                          <button type="button" className="button" disabled={busy} onClick={() => void change(m, { active: false }, `${m.name} can no longer sign in to ${account.practice.name}.`)}>
                            Turn off access
                          </button>
                        ) : (
                          <button type="button" className="button" disabled={busy} onClick={() => void change(m, { active: true }, `${m.name} can sign in again.`)}>
                            Turn access back on
                          </button>
                        )}
                        {m.joinedAt === null && m.active && (
                          <button type="button" className="button" disabled={busy} onClick={() => void resend(m)}>
                            Send the invitation again
                          </button>
                        )}
                        <button type="button" className="link-button" disabled={busy} onClick={() => setRemoving(m)}>
                          Remove
                        </button>
                      </div>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Dialog open={removing !== null} onClose={() => setRemoving(null)} title={removing ? `Remove ${removing.name}?` : ''}>
        {removing && (
          <>
            <p>
              {removing.name} will no longer be able to sign in to {account.practice.name}. Their bookings and everything they recorded stay.
            </p>
            <div className="dialog-actions">
              <button type="button" className="button button-danger" disabled={busy} onClick={() => void remove(removing)}>
                Remove
              </button>
              <button type="button" className="button" onClick={() => setRemoving(null)}>
                Keep
              </button>
            </div>
          </>
        )}
      </Dialog>
      {isOwner ? <InviteForm onInvited={(m) => (setNotice(`We sent ${m.name} an invitation to ${m.email}. The link works for 24 hours.`), data.reload())} /> : <p className="hint">Only an owner can invite people or change roles.</p>}
    </>
  );
}

function InviteForm({ onInvited }: { onInvited: (member: Member) => void }) {
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('practitioner');
  const { busy, error, run } = useAction();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    await run(async () => {
      const member = await api.postOnce<Member>('/members', { email: email.trim(), name: name.trim(), role });
      setEmail('');
      setName('');
      onInvited(member);
    });
  };
  return (
    <section aria-labelledby="invite-heading" className="card invite-card">
      <h2 id="invite-heading">Invite someone</h2>
      <form onSubmit={submit} className="stack" noValidate>
        <Field label="Name" autoComplete="off" required value={name} onChange={(e) => setName(e.target.value)} error={fieldError(error, '/name')} />
        <Field label="Email" type="email" autoComplete="off" required value={email} onChange={(e) => setEmail(e.target.value)} error={fieldError(error, '/email')} />
        <SelectField label="Role" value={role} onChange={(e) => setRole(e.target.value as Role)} hint={`${ROLE_NAMES[role]}: ${ROLE_WORDS[role]}.`}>
          {(Object.keys(ROLE_NAMES) as Role[]).map((r) => (
            <option key={r} value={r}>
              {ROLE_NAMES[r]}
            </option>
          ))}
        </SelectField>
        {error !== null && !(error instanceof ApiError && error.problem.errors?.length) && <ErrorBox error={error} />}
        <button type="submit" className="button button-primary" disabled={busy || !email.includes('@') || name.trim() === ''}>
          {busy ? 'Sending…' : 'Send the invitation'}
        </button>
      </form>
    </section>
  );
}
